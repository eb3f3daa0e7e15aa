#!/usr/bin/env bash
# Regenerates the sample videos that the Stream emulator embeds as its default seed.
#
# Each sample is a short H.264 (Main profile, yuv420p) + AAC-LC MP4 with the moov box first
# (+faststart), so WebKitGTK/GStreamer and browsers start playback before the whole file is
# read. Each MP4 gets an .m4a sibling with the same AAC stream, copied without re-encoding.
#
# The flags aim at byte-identical output on reruns with the same ffmpeg build: bitexact muxing
# (no encoder tag, zero timestamps), no copied metadata and a single encoder thread, because
# x264's output depends on its thread count. A different ffmpeg or x264 version may still
# produce different bytes.
#
# Each sample also gets a NAME.jpg still (480x270, the frame at 1 s), which the emulator serves
# as the video's thumbnail. The WebVTT captions (NAME.LANGUAGE.vtt) are written by hand.
#
# Usage: samples/generate.sh            (writes next to this script)
# Requires: ffmpeg with libx264 and the native aac encoder.
set -euo pipefail

cd "$(dirname "$0")"

if ! command -v ffmpeg >/dev/null; then
    echo "generate.sh: ffmpeg not found on PATH; install it (Debian: apt-get install ffmpeg) and rerun." >&2
    exit 1
fi

SIZE=640x360
RATE=25

# encode NAME SECONDS VIDEO_SOURCE AUDIO_SOURCE
encode() {
    local name=$1 seconds=$2 video=$3 audio=$4

    ffmpeg -hide_banner -loglevel error -y \
        -f lavfi -i "$video" \
        -f lavfi -i "$audio" \
        -t "$seconds" \
        -map 0:v:0 -map 1:a:0 \
        -c:v libx264 -profile:v main -level 3.0 -pix_fmt yuv420p -preset medium \
        -crf 28 -maxrate 600k -bufsize 1200k -g 50 -threads 1 \
        -c:a aac -b:a 64k -ac 2 -ar 44100 \
        -movflags +faststart -map_metadata -1 \
        -fflags +bitexact -flags:v +bitexact -flags:a +bitexact \
        "$name.mp4"

    ffmpeg -hide_banner -loglevel error -y \
        -i "$name.mp4" \
        -vn -c:a copy \
        -movflags +faststart -map_metadata -1 \
        -fflags +bitexact -flags:a +bitexact \
        "$name.m4a"
}

# thumbnail NAME: a small JPEG of the frame at 1 s, 270 pixels high like the thumbnails
# Offstream requests, at a low quality setting so all three stay under 20 KB together.
thumbnail() {
    local name=$1

    ffmpeg -hide_banner -loglevel error -y \
        -ss 1 -i "$name.mp4" -frames:v 1 \
        -vf scale=-2:270 -q:v 12 -map_metadata -1 \
        -fflags +bitexact -flags:v +bitexact \
        "$name.jpg"
}

encode aurora-bars 10 \
    "smptebars=size=$SIZE:rate=$RATE" \
    "sine=frequency=440:sample_rate=44100"

encode harbor-pattern 8 \
    "testsrc2=size=$SIZE:rate=$RATE" \
    "sine=frequency=660:beep_factor=4:sample_rate=44100"

encode fractal-dive 6 \
    "mandelbrot=size=$SIZE:rate=$RATE:maxiter=256" \
    "sine=frequency=330:sample_rate=44100"

for name in aurora-bars harbor-pattern fractal-dive; do
    thumbnail "$name"
done

ls -l ./*.mp4 ./*.m4a ./*.jpg
