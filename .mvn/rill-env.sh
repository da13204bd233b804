# Sourced by ./rill and ./mvnw (POSIX sh, so both can share it): finds a JDK 25 or newer the same
# way for both, and, before a build that runs the tests, checks that what the tests need is there.

# The major version of the JDK in folder $1 (from its release file), or nothing when it is no JDK.
rill_jdk_major() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  if [ -f "$1/release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$1/release" | head -n 1
  else
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9][0-9]*\).*/\1/p'
  fi
}

# Exports JAVA_HOME (and puts its bin first on PATH): JAVA_HOME when it is a JDK 25+, else the java on
# the PATH, else the first JDK 25+ in the usual install places. Without one: one line, status 1.
rill_use_jdk() {
  _rill_given="${JAVA_HOME:-}" _rill_home="" _rill_noglob=""
  case $- in *f*) _rill_noglob=1; set +f ;; esac   # mvnw runs with globbing off
  _rill_path_java="$(command -v java 2>/dev/null || :)"
  if [ -n "$_rill_path_java" ]; then
    _rill_path_java="$(readlink -f "$_rill_path_java" 2>/dev/null || printf %s "$_rill_path_java")"
    _rill_path_java="${_rill_path_java%/bin/java}"
  fi
  for _rill_dir in "$_rill_given" "$_rill_path_java" /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* \
      "${SDKMAN_DIR:-${HOME:-/nonexistent}/.sdkman}"/candidates/java/* "${HOME:-/nonexistent}"/.jdks/* \
      "${HOME:-/nonexistent}"/.local/share/mise/installs/java/* "${HOME:-/nonexistent}"/.asdf/installs/java/* \
      /Library/Java/JavaVirtualMachines/*/Contents/Home /opt/hostedtoolcache/Java_*/*/x64; do
    [ -n "$_rill_dir" ] && [ -d "$_rill_dir" ] || continue
    _rill_major="$(rill_jdk_major "$_rill_dir")"
    if [ -n "$_rill_major" ] && [ "$_rill_major" -ge 25 ]; then _rill_home="$_rill_dir"; break; fi
  done
  [ -z "$_rill_noglob" ] || set -f
  if [ -z "$_rill_home" ]; then
    echo "rill: needs a JDK 25 or newer and found none (JAVA_HOME${_rill_given:+=$_rill_given}, the java on the PATH, /usr/lib/jvm, ~/.sdkman/candidates/java, ~/.jdks): install one (e.g. Temurin 25, or 'sdk install java 25-tem') or set JAVA_HOME to it" >&2
    return 1
  fi
  if [ -n "$_rill_given" ] && [ "$_rill_given" != "$_rill_home" ]; then
    echo "rill: JAVA_HOME=$_rill_given is not a JDK 25 or newer; using $_rill_home" >&2
  fi
  JAVA_HOME="$_rill_home"
  PATH="$JAVA_HOME/bin:$PATH"
  export JAVA_HOME PATH
}

# Sets _rill_missing to the Debian packages of the test tools that are not there (Chromium at $1,
# ChromeDriver at $2).
rill_missing_tools() {
  _rill_missing=""
  command -v node >/dev/null 2>&1 || _rill_missing="nodejs"
  command -v npm >/dev/null 2>&1 || _rill_missing="$_rill_missing npm"
  [ -x "$1" ] || _rill_missing="$_rill_missing chromium"
  [ -x "$2" ] || _rill_missing="$_rill_missing chromium-driver"
  _rill_missing="${_rill_missing# }"
}

# Before a Maven build that runs the whole test suite (arguments $@): the tests need Node.js with npm
# (the tokenizer and GGUF tests compare with reference implementations) and Chromium with
# ChromeDriver (the browser tests). Installs what is missing when it may (root, or sudo without a
# password, and apt-get); otherwise says in one line what to install and returns 1. Builds that skip
# the tests, or run chosen ones (-Dtest=...), are not checked: those tests name what they miss.
rill_test_tools() {
  _rill_tests="" _rill_chromium=/usr/bin/chromium _rill_driver=/usr/bin/chromedriver
  for _rill_arg in "$@"; do
    case "$_rill_arg" in
      test | package | integration-test | verify | install | deploy) _rill_tests=1 ;;
      -DskipTests | -DskipTests=true | -Dmaven.test.skip | -Dmaven.test.skip=true | -Dtest=* | -Dit.test=*) return 0 ;;
      -Drill.test.chromium=*) _rill_chromium="${_rill_arg#*=}" ;;
      -Drill.test.chromedriver=*) _rill_driver="${_rill_arg#*=}" ;;
    esac
  done
  [ -n "$_rill_tests" ] || return 0
  rill_missing_tools "$_rill_chromium" "$_rill_driver"
  [ -n "$_rill_missing" ] || return 0
  _rill_sudo=""
  [ "$(id -u)" = 0 ] || _rill_sudo=sudo
  if command -v apt-get >/dev/null 2>&1 && { [ -z "$_rill_sudo" ] || sudo -n true 2>/dev/null; }; then
    echo "rill: the tests need $_rill_missing; installing (apt-get install $_rill_missing)" >&2
    # shellcheck disable=SC2086 # the package names are words
    if $_rill_sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $_rill_sudo apt-get install -y -qq $_rill_missing >&2; then
      _rill_wanted="$_rill_missing"
      rill_missing_tools "$_rill_chromium" "$_rill_driver"
      [ -n "$_rill_missing" ] || return 0
      echo "rill: apt-get installed $_rill_wanted, but $_rill_missing is still not found (on the PATH, or at $_rill_chromium and $_rill_driver)" >&2
      return 1
    fi
    echo "rill: apt-get install $_rill_missing failed (above); install them, then run the tests again" >&2
    return 1
  fi
  echo "rill: the tests need Node.js 20+ with npm, Chromium and ChromeDriver; missing: $_rill_missing. Install them (Debian/Ubuntu: sudo apt-get install -y $_rill_missing) and run again, or build without tests: ./mvnw package -DskipTests" >&2
  return 1
}
