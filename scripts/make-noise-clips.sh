#!/usr/bin/env bash
# Generates the harder evaluation clips in assets/audio/extra/ (used by `npm run vad:eval`):
#   sN_<noise>_snr<K>.wav  the clean sentences of assets/audio at K = 15, 5 and 0 dB SNR with
#                          pink, brown, hum (mains + harmonics: 50 Hz on s1, 60 Hz on s2), rumble
#                          (low-passed brown) and click (impulsive) noise;
#   only_<noise>.wav       4 s of each noise alone, at the 0 dB level (false detections);
#   labels.json            speech_frames copied from the clean clip (same 20 ms grid).
# Clips are trimmed to 0.5 s before the first labelled speech frame and 1 s after the last
# (a short noisy lead-in on purpose: the adaptive floor must not need a quiet one), and written
# as 8 kHz mono 8-bit mu-law like everything Twilio sends.
# SNR is against the active speech level (mean power over the labelled speech frames).
# Deterministic: `sox -R` seeds its noise generators the same on every run, the clicks come from
# a fixed-seed Park-Miller generator, and no dither is added (-D). Needs sox, awk and node.
set -euo pipefail

cd "$(dirname "$0")/.."
SRC=assets/audio
OUT=assets/audio/extra
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"
rm -f "$OUT"/*.wav "$OUT"/labels.json

RATE=8000
FRAME=160          # samples per 20 ms frame
LEAD_FRAMES=25     # 0.5 s kept before speech
TAIL_FRAMES=50     # 1 s kept after speech
SNRS="15 5 0"
NOISES="pink brown hum rumble click"
SOX="sox -R -D -V1"

# label_span CLIP -> "first_frame frame_count speech_frames total_frames" of the trimmed span
label_span() {
  node -e '
    const clips = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).clips;
    const f = clips[process.argv[2]].speech_frames;
    const first = Math.max(0, f.indexOf(1) - Number(process.argv[3]));
    const end = Math.min(f.length, f.lastIndexOf(1) + 1 + Number(process.argv[4]));
    const span = f.slice(first, end);
    console.log(first, end - first, span.filter((v) => v === 1).length, span.length);
  ' "$SRC/labels.json" "$1" "$LEAD_FRAMES" "$TAIL_FRAMES"
}

# mean_square FILE -> mean power of its samples (full scale = 1)
mean_square() {
  $SOX "$1" -n stat 2>&1 | awk '/RMS +amplitude/ { printf "%.12g\n", $3 * $3 }'
}

# clicks SAMPLES OUT: damped 1.6 kHz bursts (~1 ms decay), about 4 per second at random times
clicks() {
  awk -v n="$1" -v rate="$RATE" 'BEGIN {
    seed = 20240611; M = 2147483647
    printf "; Sample Rate %d\n; Channels 1\n", rate
    next_click = 0; k = -1; amp = 0
    for (i = 0; i < n; i++) {
      if (i >= next_click) {
        seed = (seed * 16807) % M; amp = 0.3 + 0.7 * seed / M
        seed = (seed * 16807) % M; if (seed % 2) amp = -amp
        seed = (seed * 16807) % M; next_click = i + int(-log((seed + 1) / (M + 1)) * rate / 4) + 40
        k = 0
      }
      v = 0
      if (k >= 0 && k < 40) { v = amp * exp(-k / 8) * cos(6.283185307 * 1600 * k / rate); k++ }
      printf "%.6f %.6f\n", i / rate, v
    }
  }' > "$2"
}

# noise KIND SAMPLES HUM_HZ OUT (16-bit mono, unscaled)
noise() {
  local kind=$1 n=$2 hz=$3 out=$4
  case $kind in
    pink) $SOX -r $RATE -n -r $RATE -c 1 -b 16 "$out" synth "${n}s" pinknoise ;;
    brown) $SOX -r $RATE -n -r $RATE -c 1 -b 16 "$out" synth "${n}s" brownnoise ;;
    rumble) $SOX -r $RATE -n -r $RATE -c 1 -b 16 "$out" synth "${n}s" brownnoise lowpass 120 lowpass 120 ;;
    hum)
      # Mains buzz: fundamental and 7 harmonics, odd ones stronger.
      local f=() i
      for i in 1 2 3 4 5 6 7 8; do f+=(sine $((hz * i))); done
      $SOX -r $RATE -c 8 -n -r $RATE -c 1 -b 16 "$out" synth "${n}s" "${f[@]}" \
        remix 1v1,2v0.5,3v0.7,4v0.3,5v0.5,6v0.2,7v0.35,8v0.15 ;;
    click)
      clicks "$n" "$TMP/clicks.dat"
      $SOX "$TMP/clicks.dat" -r $RATE -c 1 -b 16 "$out" ;;
  esac
}

entries="$TMP/entries.tsv"
: > "$entries"
for s in s1 s2; do
  read -r first frames speech total < <(label_span "${s}_clean")
  samples=$((frames * FRAME))
  hum_hz=50
  [ "$s" = s2 ] && hum_hz=60
  $SOX "$SRC/${s}_clean.wav" -b 16 -e signed-integer "$TMP/$s.wav" trim "$((first * FRAME))s" "${samples}s"
  # Active speech power: the silence around the sentence is digital near-silence (~ -78 dBFS).
  speech_ms=$(awk -v p="$(mean_square "$TMP/$s.wav")" -v t="$total" -v s="$speech" 'BEGIN { printf "%.12g", p * t / s }')
  for kind in $NOISES; do
    noise "$kind" "$samples" "$hum_hz" "$TMP/noise.wav"
    noise_ms=$(mean_square "$TMP/noise.wav")
    for snr in $SNRS; do
      gain=$(awk -v s="$speech_ms" -v n="$noise_ms" -v k="$snr" 'BEGIN { printf "%.8f", sqrt(s / n / 10 ^ (k / 10)) }')
      name="${s}_${kind}_snr${snr}"
      $SOX -m -v 1 "$TMP/$s.wav" -v "$gain" "$TMP/noise.wav" -e u-law -b 8 "$OUT/$name.wav"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" speech "$s" "$first" "$frames" "$kind" >> "$entries"
      printf '%s\t%s\n' "$snr" "$([ "$kind" = hum ] && echo "hum${hum_hz}" || echo "$kind")" >> "$entries.meta"
    done
    if [ "$s" = s1 ] || [ "$kind" = hum ]; then
      # Noise alone, 4 s, at the 0 dB level of this sentence.
      gain=$(awk -v s="$speech_ms" -v n="$noise_ms" 'BEGIN { printf "%.8f", sqrt(s / n) }')
      label=$([ "$kind" = hum ] && echo "hum${hum_hz}" || echo "$kind")
      noise "$kind" $((4 * RATE)) "$hum_hz" "$TMP/noise4.wav"
      $SOX -v "$gain" "$TMP/noise4.wav" -e u-law -b 8 "$OUT/only_${label}.wav"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "only_${label}" noise - 0 200 "$label" >> "$entries"
      printf '%s\t%s\n' - "$label" >> "$entries.meta"
    fi
  done
done

paste "$entries" "$entries.meta" | node -e '
  const fs = require("fs");
  const src = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const clips = {};
  for (const line of fs.readFileSync(0, "utf8").trim().split("\n")) {
    const [name, kind, source, first, frames, , snr, noise] = line.split("\t");
    const speech_frames = kind === "speech"
      ? src.clips[source + "_clean"].speech_frames.slice(Number(first), Number(first) + Number(frames))
      : new Array(Number(frames)).fill(0);
    clips[name] = { speech_frames, kind, snr_db: snr === "-" ? null : Number(snr), noise,
      ...(kind === "speech" ? { source: source + "_clean", trimmed_from_frame: Number(first) } : {}) };
  }
  const out = { frame_ms: 20, sample_rate: 8000, encoding: "mu-law 8-bit WAV", generator: "scripts/make-noise-clips.sh", clips };
  // One clip per line keeps the file short and diffs readable.
  const body = Object.entries(clips).map(([k, v]) => "  " + JSON.stringify(k) + ": " + JSON.stringify(v)).join(",\n");
  const head = JSON.stringify({ ...out, clips: undefined }, null, 1).replace(/\n}$/, "");
  fs.writeFileSync(process.argv[2], head + ",\n \"clips\": {\n" + body + "\n }\n}\n");
' "$SRC/labels.json" "$OUT/labels.json"

echo "wrote $(ls "$OUT"/*.wav | wc -l) clips and labels.json to $OUT ($(du -sh "$OUT" | cut -f1))"
