/**
 * What the service reads from an audio file itself: its container signature (FLAC `fLaC`, Ogg
 * `OggS`) and a FLAC file's STREAMINFO block (sample rate, channels, bits per sample, total
 * samples and so the duration). Pure: bytes in, facts out.
 */

export type Codec = "flac" | "opus";

/** Bytes of a file's start that `readStreamInfo` needs: the signature and STREAMINFO. */
export const AUDIO_HEAD_BYTES = 4 + 4 + 34;

/** How far the given `duration_ms` may be from the file's own before a warning (ms). */
export const DURATION_TOLERANCE_MS = 1000;

/** The STREAMINFO facts of a FLAC file. */
export interface StreamInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** 0 when the encoder did not know it (a stream). */
  totalSamples: number;
  /** Rounded to whole ms; null when the total samples are unknown. */
  durationMs: number | null;
}

/** Returns the content type served for a codec. */
export function contentTypeOf(codec: Codec): string {
  return codec === "flac" ? "audio/flac" : "audio/ogg";
}

/** Returns the file extension of a codec's objects. */
export function extensionOf(codec: Codec): string {
  return codec === "flac" ? "flac" : "ogg";
}

/** Returns true when `head` starts with the signature of `codec` (fLaC, or OggS for Opus). */
export function hasSignature(head: Uint8Array, codec: Codec): boolean {
  const magic = codec === "flac" ? [0x66, 0x4c, 0x61, 0x43] : [0x4f, 0x67, 0x67, 0x53];
  return head.length >= 4 && magic.every((b, i) => head[i] === b);
}

/**
 * Returns the STREAMINFO of a FLAC file from its first `AUDIO_HEAD_BYTES` bytes, or null when
 * they hold no valid STREAMINFO (the format requires it as the first metadata block).
 */
export function readStreamInfo(head: Uint8Array): StreamInfo | null {
  if (head.length < AUDIO_HEAD_BYTES || !hasSignature(head, "flac")) return null;
  const blockType = head[4] & 0x7f;
  const length = (head[5] << 16) | (head[6] << 8) | head[7];
  if (blockType !== 0 || length !== 34) return null;
  const b = head.subarray(8, 8 + 34);
  // Bytes 10..17 of STREAMINFO: 20 bits sample rate, 3 bits channels-1, 5 bits bps-1, 36 bits
  // total samples.
  const sampleRate = (b[10] << 12) | (b[11] << 4) | (b[12] >> 4);
  const channels = ((b[12] >> 1) & 0x07) + 1;
  const bitsPerSample = (((b[12] & 0x01) << 4) | (b[13] >> 4)) + 1;
  const totalSamples = (b[13] & 0x0f) * 2 ** 32 +
    ((b[14] << 24) >>> 0) + (b[15] << 16) + (b[16] << 8) + b[17];
  if (sampleRate === 0) return null;
  const durationMs = totalSamples === 0 ? null : Math.round((totalSamples * 1000) / sampleRate);
  return { sampleRate, channels, bitsPerSample, totalSamples, durationMs };
}

/**
 * Returns the warning recorded when the given duration is more than `DURATION_TOLERANCE_MS`
 * away from the file's own (null when within it or when the file does not say).
 */
export function durationWarning(givenMs: number, fileMs: number | null): string | null {
  if (fileMs === null || Math.abs(givenMs - fileMs) <= DURATION_TOLERANCE_MS) return null;
  return `duration_ms ${givenMs} differs from the file's ${fileMs} ms by more than ` +
    `${DURATION_TOLERANCE_MS} ms`;
}
