# Sourced by the exchange tests that drive standin.py, after
# ../server/lib.sh and with HERE and T set. standin_start starts the
# stand-in (its pid in SRV, for the test's cleanup; its base URL in B);
# ctl VERB JSON sends it a control request (standin.py's docstring).
standin_start() {
	python3 "$HERE/standin.py" "$T/port" & SRV=$!
	i=0; while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
	B="http://127.0.0.1:$(cat "$T/port")"
}
ctl() { curl -sf -X POST --data-binary "$2" "$B/_ctl/$1" >/dev/null || bad "control $1"; }
