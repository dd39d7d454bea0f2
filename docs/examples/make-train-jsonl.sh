#!/usr/bin/env bash
# An example training set for `clamp3 train` made from the real-music corpus (../shared/data/real, 31 pieces):
# interleaved ABC (25 tunes) and MTF (31 MIDI files) under OUT/, and OUT/train.jsonl with one M4-RAG-style line per
# piece: "id", "filepaths" (relative to OUT) and text fields built from the catalog (title, artists, genres, region,
# description, analysis). Needs jq (Debian: apt-get install jq).
#   docs/examples/make-train-jsonl.sh [REAL_DIR] [OUT]      (CLAMP3="dotnet path/to/clamp3.dll" to use a build)
set -euo pipefail
REAL=${1:-../shared/data/real}
OUT=${2:-train-example}
CLAMP3=${CLAMP3:-clamp3}
$CLAMP3 convert abc2interleaved "$REAL/abc" "$OUT/abc" --quiet
$CLAMP3 convert midi2mtf "$REAL/midi" "$OUT/mtf" --m3-compatible --quiet
jq -c '{
    id,
    filepaths: ([(.abc // empty), (.midi // empty | sub("^midi/"; "mtf/") | sub("\\.mid$"; ".mtf"))]),
    title,
    artists: (.composer // ""),
    genres: (.rhythm // ""),
    region: (.origin // ""),
    description,
    analysis: ("\(.title) is in \(.key), \(.meter)" + (if .voices then ", \(.voices) voice(s)." else "." end))
  }' "$REAL/catalog.jsonl" > "$OUT/train.jsonl"
echo "$(wc -l < "$OUT/train.jsonl") items → $OUT/train.jsonl (DATA_DIR: $OUT)"
