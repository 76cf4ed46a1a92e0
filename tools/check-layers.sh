#!/bin/sh
# check-layers.sh [ROOT] - every quoted #include of a layer's files names a
# header of a layer it may use (tools/layers.txt), or one it generates.
#
# The build already fails on such an include, since each layer compiles with
# only its own rule's directories on the include path; this says why, with
# the file, the line and the rule broken. Exits 1 when any include breaks a
# rule, 0 when none does.
set -u
root=${1:-.}
rules="$root/tools/layers.txt"
[ -r "$rules" ] || { echo "check-layers: $rules: cannot read" >&2; exit 2; }

layers=$(sed -n 's/^\([a-z]*\):.*/\1/p' "$rules")
uses_of() { sed -n "s/^$1:[[:space:]]*//p" "$rules"; }

# owner HEADER: the layer whose directory holds HEADER, or nothing
owner() {
	for l in $layers; do
		[ -e "$root/$l/$1" ] && { echo "$l"; return; }
	done
}

bad=0
for layer in $layers; do
	uses=" $(uses_of "$layer") "
	for f in "$root/$layer"/*.c "$root/$layer"/*.h; do
		[ -e "$f" ] || continue
		grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
		sed 's/^\([0-9]*\):.*"\([^"]*\)".*/\1 \2/' |
		while read -r line header; do
			from=$(owner "$header")
			# the Makefile makes paths.h for config/ and words.h for parse/ (build/gen)
			if [ -z "$from" ]; then
				[ "$header" = paths.h ] && [ "$layer" = config ] && continue
				[ "$header" = words.h ] && [ "$layer" = parse ] && continue
				echo "${f#"$root"/}:$line: includes \"$header\", which no layer holds"
				echo x
				continue
			fi
			case "$uses" in *" $from "*) continue ;; esac
			echo "${f#"$root"/}:$line: includes \"$header\" of $from/, but $layer/ may use only:$(uses_of "$layer" | sed 's/^/ /') (tools/layers.txt)"
			echo x
		done
	done
done >"${TMPDIR:-/tmp}/check-layers.$$"
grep -v '^x$' "${TMPDIR:-/tmp}/check-layers.$$" >&2
grep -q '^x$' "${TMPDIR:-/tmp}/check-layers.$$" && bad=1
rm -f "${TMPDIR:-/tmp}/check-layers.$$"
[ "$bad" -eq 0 ] && echo "check-layers: every include keeps to tools/layers.txt"
exit "$bad"
