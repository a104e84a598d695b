#!/bin/sh
# End-to-end: `vigil bank create --action/--suppression` and `vigil bank policy`.
set -u
VIGIL=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export VIGIL_DB="$T/v.db"
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }

"$VIGIL" bank create known --action block >/dev/null && ok "create --action block" || bad "create block"
"$VIGIL" bank policy known | grep -q '"action":"block","kind":"normal"' &&
	ok "policy printed" || bad "policy: $("$VIGIL" bank policy known)"
"$VIGIL" bank create fp --suppression >/dev/null &&
	"$VIGIL" bank policy fp | grep -q '"kind":"suppression"' && ok "--suppression" || bad "--suppression"
"$VIGIL" bank create fp2 --kind suppression --action none >/dev/null &&
	"$VIGIL" bank policy fp2 | grep -q '"action":"none","kind":"suppression"' && ok "--kind" || bad "--kind"
"$VIGIL" bank create plain >/dev/null && "$VIGIL" bank policy plain | grep -q '"action":"review"' &&
	ok "default action review" || bad "default"
# A bad action: usage error, and no bank was created.
"$VIGIL" bank create nuked --action nuke 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "block, review, report or none" "$T/err" && ok "bad --action refused" || bad "bad action rc=$rc"
"$VIGIL" bank show nuked 2>/dev/null; [ $? -ne 0 ] && ok "no bank after a refused create" || bad "bank exists"

# Edits: several at once; all or nothing.
"$VIGIL" bank policy known pdq_distance=20 priority=900 flood=10/60 dihedral=off \
	webhook_url=http://127.0.0.1:9/hook webhook_secret=env:HOOK >"$T/out" &&
	grep -q '"pdq_distance":20,"min_quality":50,"dihedral":false,"action":"block","kind":"normal","priority":900,"webhook_url":"http://127.0.0.1:9/hook","webhook_secret":"env:HOOK","flood_matches":10,"flood_seconds":60' "$T/out" &&
	ok "edit several keys" || bad "edit: $(cat "$T/out")"
"$VIGIL" bank policy known priority=1 pdq_distance=300 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "pdq_distance" "$T/err" && "$VIGIL" bank policy known | grep -q '"priority":900' &&
	ok "a bad value changes nothing" || bad "partial edit rc=$rc"
"$VIGIL" bank policy known webhook_secret=s3cr3t 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && ! "$VIGIL" bank policy known | grep -q s3cr3t && ok "a literal secret is refused" || bad "secret stored"
"$VIGIL" bank policy known colour=red 2>/dev/null; [ $? -eq 2 ] && ok "unknown key" || bad "unknown key"
"$VIGIL" bank policy known nonsense 2>/dev/null; [ $? -eq 2 ] && ok "not KEY=VALUE" || bad "not kv"
"$VIGIL" bank policy nope 2>/dev/null; [ $? -eq 1 ] && ok "no such bank" || bad "no bank"
"$VIGIL" bank policy known flood=off | grep -q '"flood_matches":0,"flood_seconds":0' && ok "flood=off" || bad "flood off"
# Help and man page mention the keys.
"$VIGIL" bank --help | grep -q "flood=N/T" && ok "--help documents policy keys" || bad "help"
"$VIGIL" help --man | grep -q "webhook_secret" && ok "man page documents policy keys" || bad "man"
exit $fail
