#!/usr/bin/env bash
# Makes the TS fixtures of media/tests/ts_transmux.rs and records what ffprobe says of them (ffprobe.json).
# Run once by hand (Debian's ffmpeg 5.1); the outputs are checked in, so the tests need no ffmpeg.
set -euo pipefail
cd "$(dirname "$0")"
q=(-hide_banner -loglevel error -y)
src=(-f lavfi -i testsrc2=size=160x90:rate=25 -f lavfi -i sine -t 1)
x264=(-c:v libx264 -bf 2 -g 25 -crf 51)
ffmpeg "${q[@]}" "${src[@]}" "${x264[@]}" -c:a aac -b:a 16k -f mpegts h264_aac.ts
ffmpeg "${q[@]}" "${src[@]}" -c:v libx265 -x265-params log-level=error:bframes=2:keyint=25:info=0 -crf 51 \
  -c:a aac -b:a 16k -f mpegts hevc_aac.ts
ffmpeg "${q[@]}" "${src[@]}" "${x264[@]}" -c:a libmp3lame -b:a 32k -f mpegts h264_mp3.ts
# Two 1 s HLS segments whose timestamps cross the 33-bit wrap (2^33 / 90 kHz = 95443.7 s) in the second.
rm -rf hls && mkdir hls
ffmpeg "${q[@]}" -f lavfi -i testsrc2=size=160x90:rate=25 -f lavfi -i sine -t 2 "${x264[@]}" -c:a aac -b:a 16k \
  -output_ts_offset 95440.9 -f hls -hls_time 1 -hls_segment_filename 'hls/wrap%d.ts' hls/index.m3u8
mv hls/wrap0.ts hls/wrap1.ts . && rm -rf hls
python3 - <<'PY'
import json, subprocess
out = {}
for name in ["h264_aac.ts", "hevc_aac.ts", "h264_mp3.ts", "wrap0.ts", "wrap1.ts"]:
    probe = json.loads(subprocess.check_output(
        ["ffprobe", "-v", "error", "-show_packets", "-show_entries", "packet=codec_type,pts,dts,flags",
         "-of", "json", name]))
    tracks = {}
    for p in probe["packets"]:
        t = tracks.setdefault(p["codec_type"], {"pts": [], "dts": [], "keyframe": []})
        t["pts"].append(p["pts"])
        t["dts"].append(p["dts"])
        t["keyframe"].append(p["flags"].startswith("K"))
    out[name] = tracks
with open("ffprobe.json", "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
PY
