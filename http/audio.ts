/**
 * The answer that streams a recording's audio, shared by the admin read
 * (`GET /admin/recordings/{id}/audio`) and the fleet device page's player
 * (`GET /fleet/devices/{device_id}/recordings/{id}/audio`): its content type, `Content-Length`,
 * `Accept-Ranges`, one byte range as 206 with `Content-Range`, 416 for a range past the end, and
 * `Cache-Control: no-store` (a voice is never kept by a cache).
 */

/** A recording's audio, whole or one range (services/recordings.ts `recordingAudio`). */
export interface AudioAnswer {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  length: number;
  size: number;
  range: { start: number; end: number } | null;
}

/** Returns the HTTP answer of `audio`, or 416 with `Content-Range: bytes *\/{size}`. */
export function audioResponse(
  audio: AudioAnswer | { unsatisfiable: true; size: number },
): Response {
  if ("unsatisfiable" in audio) {
    return new Response(JSON.stringify({ detail: "Range not satisfiable" }), {
      status: 416,
      headers: {
        "Content-Type": "application/json",
        "Content-Range": `bytes */${audio.size}`,
        "Cache-Control": "no-store",
      },
    });
  }
  const headers: Record<string, string> = {
    "Content-Type": audio.contentType,
    "Content-Length": String(audio.length),
    "Accept-Ranges": "bytes",
    "Cache-Control": "no-store",
  };
  if (audio.range) {
    headers["Content-Range"] = `bytes ${audio.range.start}-${audio.range.end}/${audio.size}`;
  }
  return new Response(audio.body, { status: audio.range ? 206 : 200, headers });
}
