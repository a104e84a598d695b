#!/bin/sh
# pdq_identity.sh — `vigil hash` of this build against another binary (main's)
# on every image under the given directories, in both PDQ flavours and with
# --dihedral: the output must be byte for byte the same.
#
#   sh bench/pdq_identity.sh NEW_VIGIL OLD_VIGIL DIR...
#
# Prints the image count and one line per flavour; exits 1 on a difference.
set -u
new=$1 old=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
find "$@" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \
	-o -iname '*.webp' -o -iname '*.gif' -o -iname '*.tif' -o -iname '*.tiff' \
	-o -iname '*.bmp' \) | LC_ALL=C sort > "$tmp/list"
n=$(wc -l < "$tmp/list")
echo "$n images"
status=0
for ds in none 512; do
	for bin in new old; do
		eval b=\$$bin
		xargs -d '\n' "$b" hash --dihedral --downsample $ds -j 1 --no-progress \
			< "$tmp/list" > "$tmp/$bin.$ds" 2> "$tmp/$bin.$ds.err"
		echo "exit $?" >> "$tmp/$bin.$ds"
	done
	lines=$(wc -l < "$tmp/new.$ds")
	if cmp -s "$tmp/new.$ds" "$tmp/old.$ds" && cmp -s "$tmp/new.$ds.err" "$tmp/old.$ds.err"; then
		echo "downsample $ds: identical ($lines lines)"
	else
		echo "downsample $ds: DIFFERENT"
		diff "$tmp/old.$ds" "$tmp/new.$ds" | head -20
		status=1
	fi
done
exit $status
