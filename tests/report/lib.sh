# lib.sh — shared by the report tests: uploads with a context, and the
# NCMEC stand-in. Sourced; expects T, STANDIN and (for up) URL/SUB set.

# up FILE CONTENT_ID IP PORT TIME: one upload by user-77 through
# /v1/content with the submit key $SUB; the answer is in $T/r.
up() {
	curl -s -o "$T/r" -H "Authorization: Bearer $SUB" -F "file=@$1" \
		-F "context={\"content_id\":\"$2\",\"user_id\":\"user-77\",\"ip\":\"$3\",\"port\":$4,\"upload_time\":\"$5\",\"surface\":\"chat\"};type=application/json" \
		"$URL/v1/content"
}

# nc_start [ARGS...]: the stand-in (credentials vigil-test:pa55word) on a
# free port, its state in $T/ncstate; PID in $NC, base URL in $NCURL.
nc_start() {
	rm -f "$T/ncport"
	python3 "$STANDIN" "$T/ncport" "$T/ncstate" "vigil-test:pa55word" "$@" 2>>"$T/nc.log" &
	NC=$!
	i=0
	while [ ! -s "$T/ncport" ]; do
		i=$((i + 1))
		[ $i -gt 400 ] && { echo "stand-in did not start"; cat "$T/nc.log"; exit 1; }
		sleep 0.05
	done
	NCURL="http://127.0.0.1:$(cat "$T/ncport")"
}

# nc EXPR: a Python expression over the stand-in's state d.
nc() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$T/ncstate"; }
