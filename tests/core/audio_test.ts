import assert from "node:assert/strict";
import {
  AUDIO_HEAD_BYTES,
  durationWarning,
  hasSignature,
  readStreamInfo,
} from "../../core/audio.ts";
import { flacFile, opusFile } from "../helpers/audio.ts";

Deno.test("`readStreamInfo` reads rate, channels, bits and duration of real FLAC files", async () => {
  const mono = await flacFile({ rate: 16000, channels: 1, bits: 16, samples: 40000 });
  assert.deepEqual(readStreamInfo(mono.subarray(0, AUDIO_HEAD_BYTES)), {
    sampleRate: 16000,
    channels: 1,
    bitsPerSample: 16,
    totalSamples: 40000,
    durationMs: 2500,
  });
  const stereo = await flacFile({ rate: 44100, channels: 2, bits: 24, samples: 100000 });
  // 100000 / 44100 s = 2267.57 ms, rounded.
  assert.deepEqual(readStreamInfo(stereo), {
    sampleRate: 44100,
    channels: 2,
    bitsPerSample: 24,
    totalSamples: 100000,
    durationMs: 2268,
  });
});

Deno.test("`readStreamInfo` returns null without STREAMINFO first or with a short head", async () => {
  const flac = await flacFile();
  assert.equal(readStreamInfo(flac.subarray(0, AUDIO_HEAD_BYTES - 1)), null);
  const broken = flac.slice(0, AUDIO_HEAD_BYTES);
  broken[4] = 0x04; // a VORBIS_COMMENT block where STREAMINFO must be
  assert.equal(readStreamInfo(broken), null);
  assert.equal(readStreamInfo(await opusFile()), null);
});

Deno.test("`hasSignature` tells FLAC from Ogg by their first four bytes", async () => {
  const flac = await flacFile();
  const ogg = await opusFile();
  assert.equal(hasSignature(flac, "flac"), true);
  assert.equal(hasSignature(flac, "opus"), false);
  assert.equal(hasSignature(ogg, "opus"), true);
  assert.equal(hasSignature(ogg, "flac"), false);
  assert.equal(hasSignature(new Uint8Array([0x66, 0x4c, 0x61]), "flac"), false);
});

Deno.test("`durationWarning` warns only beyond 1000 ms either way", () => {
  assert.equal(durationWarning(3500, 2500), null);
  assert.equal(durationWarning(1500, 2500), null);
  assert.equal(
    durationWarning(3501, 2500),
    "duration_ms 3501 differs from the file's 2500 ms by more than 1000 ms",
  );
  assert.equal(
    durationWarning(1499, 2500),
    "duration_ms 1499 differs from the file's 2500 ms by more than 1000 ms",
  );
  assert.equal(durationWarning(99999, null), null);
});
