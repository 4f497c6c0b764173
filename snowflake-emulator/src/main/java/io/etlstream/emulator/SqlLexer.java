package io.etlstream.emulator;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Splits Snowflake SQL into tokens, keeping the whitespace before each so text can be rebuilt. */
final class SqlLexer {

  enum Kind { WORD, QUOTED, STRING, NUMBER, SYMBOL, PARAM, END }

  /** One token; {@code pre} is the whitespace/comments in front of it, {@code pos} its offset. */
  record Token(Kind kind, String text, String pre, int pos) {
    String upper() {
      return text.toUpperCase(Locale.ROOT);
    }

    boolean is(String word) {
      return (kind == Kind.WORD || kind == Kind.SYMBOL) && text.equalsIgnoreCase(word);
    }

    boolean isIdent() {
      return kind == Kind.WORD || kind == Kind.QUOTED;
    }

    /** Snowflake identifier rule: unquoted folds to upper case, quoted keeps its exact text. */
    String ident() {
      if (kind == Kind.QUOTED) {
        return text.substring(1, text.length() - 1).replace("\"\"", "\"");
      }
      return upper();
    }

    /** The value of a string literal. */
    String stringValue() {
      if (text.startsWith("$$")) {
        return text.substring(2, text.length() - 2);
      }
      String inner = text.substring(1, text.length() - 1);
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < inner.length(); i++) {
        char c = inner.charAt(i);
        if (c == '\'' && i + 1 < inner.length() && inner.charAt(i + 1) == '\'') {
          sb.append('\'');
          i++;
        } else if (c == '\\' && i + 1 < inner.length()) {
          char n = inner.charAt(++i);
          sb.append(switch (n) {
            case 'n' -> '\n';
            case 't' -> '\t';
            case 'r' -> '\r';
            case '0' -> '\0';
            default -> n;
          });
        } else {
          sb.append(c);
        }
      }
      return sb.toString();
    }
  }

  private SqlLexer() {}

  static List<Token> lex(String sql) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    int n = sql.length();
    while (true) {
      int preStart = i;
      while (i < n) {
        char c = sql.charAt(i);
        if (Character.isWhitespace(c)) {
          i++;
        } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-'
            || c == '/' && i + 1 < n && sql.charAt(i + 1) == '/') {
          while (i < n && sql.charAt(i) != '\n') {
            i++;
          }
        } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
          int end = sql.indexOf("*/", i + 2);
          i = end < 0 ? n : end + 2;
        } else {
          break;
        }
      }
      String pre = sql.substring(preStart, i).isEmpty() ? "" : " ";
      if (i >= n) {
        out.add(new Token(Kind.END, "", pre, n));
        return out;
      }
      int start = i;
      char c = sql.charAt(i);
      Kind kind;
      if (c == '\'') {
        i++;
        while (i < n) {
          char d = sql.charAt(i);
          if (d == '\\') {
            i += 2;
          } else if (d == '\'') {
            if (i + 1 < n && sql.charAt(i + 1) == '\'') {
              i += 2;
            } else {
              i++;
              break;
            }
          } else {
            i++;
          }
        }
        if (i > n || sql.charAt(i - 1) != '\'' || i - start < 2) {
          throw SqlException.syntax("line 1 at position " + start + " unexpected end of string literal.");
        }
        kind = Kind.STRING;
      } else if (c == '$' && i + 1 < n && sql.charAt(i + 1) == '$') {
        int end = sql.indexOf("$$", i + 2);
        if (end < 0) {
          throw SqlException.syntax("line 1 at position " + start + " unterminated $$ string.");
        }
        i = end + 2;
        kind = Kind.STRING;
      } else if (c == '"') {
        i++;
        while (i < n) {
          if (sql.charAt(i) == '"') {
            if (i + 1 < n && sql.charAt(i + 1) == '"') {
              i += 2;
              continue;
            }
            break;
          }
          i++;
        }
        if (i >= n) {
          throw SqlException.syntax("line 1 at position " + start + " unterminated quoted identifier.");
        }
        i++;
        kind = Kind.QUOTED;
      } else if (Character.isLetter(c) || c == '_') {
        while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_'
            || sql.charAt(i) == '$')) {
          i++;
        }
        kind = Kind.WORD;
      } else if (Character.isDigit(c) || c == '.' && i + 1 < n && Character.isDigit(sql.charAt(i + 1))) {
        while (i < n && (Character.isDigit(sql.charAt(i)) || sql.charAt(i) == '.')) {
          i++;
        }
        if (i < n && (sql.charAt(i) == 'e' || sql.charAt(i) == 'E')) {
          int j = i + 1;
          if (j < n && (sql.charAt(j) == '+' || sql.charAt(j) == '-')) {
            j++;
          }
          if (j < n && Character.isDigit(sql.charAt(j))) {
            i = j;
            while (i < n && Character.isDigit(sql.charAt(i))) {
              i++;
            }
          }
        }
        kind = Kind.NUMBER;
      } else if (c == '?') {
        i++;
        kind = Kind.PARAM;
      } else if (c == ':' && i + 1 < n && Character.isDigit(sql.charAt(i + 1))) {
        i++;
        while (i < n && Character.isDigit(sql.charAt(i))) {
          i++;
        }
        kind = Kind.PARAM;
      } else {
        String[] multi = {"::", "<=", ">=", "<>", "!=", "||", "=>"};
        kind = Kind.SYMBOL;
        i++;
        for (String m : multi) {
          if (sql.startsWith(m, start)) {
            i = start + m.length();
            break;
          }
        }
      }
      out.add(new Token(kind, sql.substring(start, i), pre, start));
    }
  }
}
