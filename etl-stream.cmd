@echo off
rem etl-stream launcher for Windows, the twin of ./etl-stream: builds the project when it is missing
rem or stale, then runs
rem   etl-stream [console ...]   the JavaFX console     (io.etlstream.app.Launcher)
rem   etl-stream emulator ...    the Snowflake emulator (io.etlstream.emulator.EmulatorMain)
rem   etl-stream <anything else> the headless CLI       (io.etlstream.cli.EtlStreamCommand)
rem Stale = a pom.xml or a file under <module>\src newer than target\launcher.stamp, or a module not
rem packaged. Environment: JAVA_HOME, ETL_STREAM_JAVA_OPTS, ETL_STREAM_LAUNCHER_TRACE=1.
rem Limits: the classpath must fit a cmd variable (8191 characters); after "console"/"emulator" the
rem remaining arguments are passed as one string split again by cmd.
setlocal EnableExtensions DisableDelayedExpansion

set "ROOT=%~dp0"
if "%ROOT:~-1%"=="\" set "ROOT=%ROOT:~0,-1%"
set "STAMP=%ROOT%\target\launcher.stamp"

set "MODULE=engine"
set "MAIN=io.etlstream.cli.EtlStreamCommand"
set "FIRST=%~1"
set "ARGS=%*"
if "%FIRST%"=="" (
    set "MODULE=app"
    set "MAIN=io.etlstream.app.Launcher"
)
if /I "%FIRST%"=="console" (
    set "MODULE=app"
    set "MAIN=io.etlstream.app.Launcher"
    call :rest %*
)
if /I "%FIRST%"=="emulator" (
    set "MODULE=snowflake-emulator"
    set "MAIN=io.etlstream.emulator.EmulatorMain"
    call :rest %*
)

rem Written with goto rather than ( ) blocks: a path such as "C:\Program Files (x86)" would close a block.
set "JAVA=java.exe"
if not defined JAVA_HOME goto java_ok
set "JAVA=%JAVA_HOME%\bin\java.exe"
if exist "%JAVA%" goto java_ok
echo etl-stream: JAVA_HOME is "%JAVA_HOME%" but "%JAVA%" does not exist. Point JAVA_HOME at a JDK 17+. 1>&2
exit /b 1
:java_ok

call :stale_reason
if not defined REASON (
    if "%ETL_STREAM_LAUNCHER_TRACE%"=="1" echo etl-stream launcher: up to date 1>&2
    goto run
)
if "%ETL_STREAM_LAUNCHER_TRACE%"=="1" echo etl-stream launcher: building (%REASON%) 1>&2
if not exist "%ROOT%\target" mkdir "%ROOT%\target"
rem Stamp taken before the build: a file edited while Maven runs still triggers the next build.
type nul > "%STAMP%.new"
pushd "%ROOT%"
call "%ROOT%\mvnw.cmd" -B -q -DskipTests package 1>&2
set "BUILD_RC=%ERRORLEVEL%"
popd
if "%BUILD_RC%"=="0" goto built
del /q "%STAMP%.new" 2>nul
echo etl-stream: the build failed, see above. Fix it, or run "%ROOT%\mvnw.cmd" -B -DskipTests package for details. 1>&2
exit /b 1
:built
move /y "%STAMP%.new" "%STAMP%" >nul

:run
set "JAR="
for %%j in ("%ROOT%\%MODULE%\target\etl-stream-*.jar") do call :pick_jar "%%~fj"
set "CP="
for /f "usebackq delims=" %%c in ("%ROOT%\%MODULE%\target\classpath.txt") do set "CP=%%c"
"%JAVA%" --add-opens=java.base/java.nio=ALL-UNNAMED -Dfile.encoding=UTF-8 -Dkeystore.pkcs12.macIterationCount=600000 %ETL_STREAM_JAVA_OPTS% -cp "%JAR%;%CP%" %MAIN% %ARGS%
set "RC=%ERRORLEVEL%"
endlocal & exit /b %RC%

:rest
rem Everything after the first argument.
shift /1
set "ARGS="
:rest_loop
if "%~1"=="" goto :eof
set ARGS=%ARGS% %1
shift /1
goto rest_loop

:pick_jar
echo %~n1 | findstr /R /C:"-tests *$" /C:"-sources *$" /C:"-javadoc *$" >nul && goto :eof
set "JAR=%~1"
goto :eof

:stale_reason
set "REASON="
if not exist "%STAMP%" (
    set "REASON=never built by the launcher"
    goto :eof
)
for %%m in (engine snowflake-emulator app) do (
    if not exist "%ROOT%\%%m\target\classpath.txt" set "REASON=%%m is not packaged"
)
if defined REASON goto :eof
rem cmd cannot compare file times finely; PowerShell (in every Windows 10+) finds the first newer file.
for /f "usebackq delims=" %%f in (`powershell -NoProfile -NonInteractive -Command ^
    "$s = (Get-Item -LiteralPath $env:STAMP).LastWriteTimeUtc;" ^
    "$dirs = Get-ChildItem -LiteralPath $env:ROOT -Directory;" ^
    "$files = @(Get-Item -LiteralPath (Join-Path $env:ROOT 'pom.xml'));" ^
    "foreach ($d in $dirs) { $p = Join-Path $d.FullName 'pom.xml'; if (Test-Path -LiteralPath $p) { $files += Get-Item -LiteralPath $p };" ^
    "  $src = Join-Path $d.FullName 'src'; if (Test-Path -LiteralPath $src) { $files += Get-Item -LiteralPath $src; $files += Get-ChildItem -LiteralPath $src -Recurse } };" ^
    "$n = $files | Where-Object { $_.LastWriteTimeUtc -gt $s } | Select-Object -First 1;" ^
    "if ($n) { $n.FullName.Substring($env:ROOT.Length + 1) }"`) do set "REASON=%%f changed"
goto :eof
