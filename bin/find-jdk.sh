# Sourced by ./paternoster and ./run-tests: find a JDK 25 (or newer) without
# relying on the caller's JAVA_HOME. Sets PATERNOSTER_JAVA_HOME or exits.
# Order: $PATERNOSTER_JAVA_HOME, $JAVA_HOME, the usual install folders, `java` on PATH.

_pn_java_major() {
  # prints the feature version of the JDK at $1 (e.g. 25), or nothing
  local release="$1/release"
  if [ -r "$release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release"
  elif [ -x "$1/bin/java" ]; then
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1
  fi
}

_pn_is_jdk25() {
  [ -n "$1" ] && [ -x "$1/bin/javac" ] || return 1
  local major
  major="$(_pn_java_major "$1")"
  [ -n "$major" ] && [ "$major" -ge 25 ]
}

find_jdk25() {
  local candidate
  for candidate in "${PATERNOSTER_JAVA_HOME:-}" "${JAVA_HOME:-}" \
      /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 \
      /usr/lib/jvm/*25* /usr/lib/jvm/*2[6-9]* /usr/lib/jvm/* \
      /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* \
      /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    if _pn_is_jdk25 "$candidate"; then
      PATERNOSTER_JAVA_HOME="$candidate"
      export PATERNOSTER_JAVA_HOME
      return 0
    fi
  done
  if command -v javac >/dev/null 2>&1; then
    candidate="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
    if _pn_is_jdk25 "$candidate"; then
      PATERNOSTER_JAVA_HOME="$candidate"
      export PATERNOSTER_JAVA_HOME
      return 0
    fi
  fi
  cat >&2 <<'MSG'
paternoster: no JDK 25 found.
  Paternoster needs Java 25 (Vector API and the FFM API). Looked at $PATERNOSTER_JAVA_HOME,
  $JAVA_HOME, /usr/lib/jvm, /opt/java, ~/.sdkman and the `javac` on PATH.
  Fix: install a JDK 25 (e.g. Temurin 25: apt-get install temurin-25-jdk, or https://adoptium.net)
  and/or point PATERNOSTER_JAVA_HOME at it:  export PATERNOSTER_JAVA_HOME=/path/to/jdk-25
MSG
  exit 1
}
