#!/usr/bin/env bash
# Checks that the phone SDK (package sync/client/mobile) binds for Android and iOS as the app
# teams will bind it: gobind (golang.org/x/mobile, pinned in go.mod) generates Java and
# Objective-C for it, and the check fails if gobind skipped any symbol (an exported name
# whose type it cannot bind would silently be missing from the app's API); then javac
# compiles the generated Java with gomobile's own Java support classes (go.Seq, …). Seq.java
# refers to android.content.Context, which only the Android SDK has: a one-line stand-in
# takes its place, because the check is about our API, not Android's.
#
# The real build (gomobile bind, needing the Android NDK or Xcode) is in docs/mobile.md.
set -euo pipefail
cd "$(dirname "$0")/.."

out=build/mobile-bind
rm -rf "$out"
mkdir -p "$out/stub/android/content" "$out/classes"

go tool gobind -lang=java,objc -javapkg=org.veilig -prefix=VG -outdir="$out/gen" ./sync/client/mobile

# gobind writes "// skipped …" where it leaves out a function, method, field or constant.
if grep -rn -i 'skipped' "$out/gen"; then
  echo "mobile-bind: gobind skipped the symbols above: give them types gobind supports (see sync/client/mobile)" >&2
  exit 1
fi
for f in java/org/veilig/mobile/Mobile.java java/org/veilig/mobile/Replica.java src/gobind/VGMobile.objc.h; do
  test -s "$out/gen/$f" || { echo "mobile-bind: gobind did not write $f" >&2; exit 1; }
done

echo 'package android.content; public class Context {}' >"$out/stub/android/content/Context.java"
javac -Werror -Xlint:none -d "$out/classes" $(find "$out/gen/java" "$out/stub" -name '*.java')
echo "mobile-bind: gobind bound sync/client/mobile for Java and Objective-C with nothing skipped; javac compiled $(find "$out/classes" -name '*.class' | wc -l) classes"
