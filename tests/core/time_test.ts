import assert from "node:assert/strict";
import {
  addDays,
  addMonths,
  bucketEnd,
  bucketStart,
  dayKey,
  hasUtcOffset,
  parseDayKey,
  parseTimestamp,
} from "../../core/time.ts";
import { CoreInputError } from "../../core/input_error.ts";

const d = (iso: string) => new Date(iso);

Deno.test("time: bucketStart day is the UTC calendar day", () => {
  assert.equal(bucketStart(d("2024-01-15T14:30:00Z"), "day"), "2024-01-15");
  assert.equal(bucketStart(d("2024-01-15T23:59:59.999Z"), "day"), "2024-01-15");
  assert.equal(bucketStart(d("2024-01-16T00:00:00Z"), "day"), "2024-01-16");
  // 01:00 at +02:00 is still the previous UTC day.
  assert.equal(bucketStart(d("2024-01-16T01:00:00+02:00"), "day"), "2024-01-15");
});

Deno.test("time: bucketStart week is the Monday of the ISO week (UTC)", () => {
  // 2024-01-15 is a Monday.
  assert.equal(bucketStart(d("2024-01-15T00:00:00Z"), "week"), "2024-01-15");
  assert.equal(bucketStart(d("2024-01-17T12:00:00Z"), "week"), "2024-01-15");
  assert.equal(bucketStart(d("2024-01-21T23:59:59Z"), "week"), "2024-01-15"); // Sunday
  assert.equal(bucketStart(d("2024-01-22T00:00:00Z"), "week"), "2024-01-22");
  // Across a month, a year and a leap day.
  assert.equal(bucketStart(d("2024-03-01T10:00:00Z"), "week"), "2024-02-26");
  assert.equal(bucketStart(d("2021-01-01T10:00:00Z"), "week"), "2020-12-28");
  assert.equal(bucketStart(d("2024-12-31T10:00:00Z"), "week"), "2024-12-30");
});

Deno.test("time: bucketEnd is inclusive (start for a day, start + 6 for a week)", () => {
  assert.equal(bucketEnd("2024-01-15", "day"), "2024-01-15");
  assert.equal(bucketEnd("2024-01-15", "week"), "2024-01-21");
  assert.equal(bucketEnd("2024-02-26", "week"), "2024-03-03");
  assert.equal(bucketEnd("2023-02-27", "week"), "2023-03-05");
  assert.equal(bucketEnd("2024-12-30", "week"), "2025-01-05");
  assert.throws(() => bucketEnd("2024-02-30", "day"), CoreInputError);
  assert.throws(() => bucketEnd("2024-1-5", "week"), CoreInputError);
  assert.throws(() => bucketEnd("2024-01-15", "year" as "day"), CoreInputError);
  assert.throws(() => bucketStart(d("2024-01-15"), "year" as "day"), CoreInputError);
});

Deno.test("time: day key helpers", () => {
  assert.equal(dayKey(d("2024-02-29T23:00:00Z")), "2024-02-29");
  assert.equal(addDays("2024-02-28", 1), "2024-02-29");
  assert.equal(addDays("2023-02-28", 1), "2023-03-01");
  assert.equal(addDays("2024-01-01", -1), "2023-12-31");
  assert.equal(parseDayKey("2024-03-10").toISOString(), "2024-03-10T00:00:00.000Z");
  assert.equal(parseDayKey("0050-01-01").toISOString(), "0050-01-01T00:00:00.000Z");
  assert.throws(() => parseDayKey("2023-02-29"), CoreInputError);
  assert.throws(() => dayKey(new Date(Number.NaN)), CoreInputError);
  assert.throws(() => dayKey(new Date("+010000-01-01T00:00:00Z")), CoreInputError);
  assert.equal(parseTimestamp("0001-01-01T00:00:00Z")?.toISOString(), "0001-01-01T00:00:00.000Z");
});

Deno.test("time: parseTimestamp accepts the documented ISO-8601 forms", () => {
  const cases: [string, string][] = [
    ["2024-01-15T14:30:00Z", "2024-01-15T14:30:00.000Z"],
    ["2024-01-15T14:30:00", "2024-01-15T14:30:00.000Z"], // no offset = UTC
    ["2024-01-15 14:30:00", "2024-01-15T14:30:00.000Z"],
    ["2024-01-15T14:30", "2024-01-15T14:30:00.000Z"],
    ["2024-01-15T14:30Z", "2024-01-15T14:30:00.000Z"],
    ["2024-01-15T14:30:00.5Z", "2024-01-15T14:30:00.500Z"],
    ["2024-01-15T14:30:00.123456Z", "2024-01-15T14:30:00.123Z"],
    ["2024-01-15T14:30:00.999999999", "2024-01-15T14:30:00.999Z"],
    ["2024-01-15T14:30:00+02:00", "2024-01-15T12:30:00.000Z"],
    ["2024-01-15T14:30:00+0200", "2024-01-15T12:30:00.000Z"],
    ["2024-01-15T00:30:00-05:30", "2024-01-15T06:00:00.000Z"],
    ["2024-01-15T23:30:00-01:00", "2024-01-16T00:30:00.000Z"],
    ["2024-01-15T14:30:00+00:00", "2024-01-15T14:30:00.000Z"],
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
    ["2000-02-29T23:59:59Z", "2000-02-29T23:59:59.000Z"],
  ];
  for (const [input, iso] of cases) {
    assert.equal(parseTimestamp(input)?.toISOString(), iso, input);
  }
});

Deno.test("time: parseTimestamp rejects everything else", () => {
  for (
    const bad of [
      "",
      "garbage",
      "2024-01-15",
      "2024-02-30T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "1900-02-29T00:00:00Z",
      "2024-13-01T00:00:00Z",
      "2024-00-10T00:00:00Z",
      "2024-01-00T00:00:00Z",
      "2024-04-31T00:00:00Z",
      "2024-01-15T25:00:00Z",
      "2024-01-15T24:00:00Z",
      "2024-01-15T12:60:00Z",
      "2024-01-15T12:00:60Z",
      "2024-01-15T12:00:00+24:00",
      "2024-01-15T12:00:00+01:60",
      "2024-01-15T12:00:00+01",
      "2024-01-15T12:00:00.Z",
      "2024-01-15T12:00:00 Z",
      "2024-01-15T12:00:00z",
      "2024-01-15t12:00:00Z",
      "2024-1-15T12:00:00Z",
      "24-01-15T12:00:00Z",
      " 2024-01-15T12:00:00Z",
      "2024-01-15T12:00:00Z ",
      "2024-01-15T12Z",
      "0000-01-01T00:00:00Z",
      "9999-12-31T23:59:00-23:59", // would be year 10000 in UTC
      "0001-01-01T00:00:00+00:01", // would be year 0 in UTC
      "1705329000",
      "Mon, 15 Jan 2024 14:30:00 GMT",
    ]
  ) {
    assert.equal(parseTimestamp(bad), null, bad);
  }
});

Deno.test("time: hasUtcOffset", () => {
  assert.equal(hasUtcOffset("2024-01-15T14:30:00Z"), true);
  assert.equal(hasUtcOffset("2024-01-15T14:30:00+02:00"), true);
  assert.equal(hasUtcOffset("2024-01-15T14:30:00-0530"), true);
  assert.equal(hasUtcOffset("2024-01-15T14:30:00.25+00:00"), true);
  assert.equal(hasUtcOffset("2024-01-15T14:30:00"), false);
  assert.equal(hasUtcOffset("2024-01-15 14:30"), false);
  assert.equal(hasUtcOffset("garbage Z"), false);
  assert.equal(hasUtcOffset("2024-02-30T14:30:00Z"), false);
});

Deno.test("`bucketStart` month is the first day of the UTC calendar month", () => {
  assert.equal(bucketStart(d("2024-02-29T23:59:59.999Z"), "month"), "2024-02-01");
  assert.equal(bucketStart(d("2024-03-01T00:00:00Z"), "month"), "2024-03-01");
  // 00:30 on 1 March in UTC+1 is still February in UTC.
  assert.equal(bucketStart(d("2024-03-01T00:30:00+01:00"), "month"), "2024-02-01");
  assert.equal(bucketStart(d("2024-12-31T12:00:00Z"), "month"), "2024-12-01");
});

Deno.test("`bucketEnd` month is its last day (leap years, 30- and 31-day months)", () => {
  assert.equal(bucketEnd("2024-02-01", "month"), "2024-02-29");
  assert.equal(bucketEnd("2023-02-01", "month"), "2023-02-28");
  assert.equal(bucketEnd("2024-04-01", "month"), "2024-04-30");
  assert.equal(bucketEnd("2024-12-01", "month"), "2024-12-31");
});

Deno.test("`addMonths` steps whole calendar months from a day's month", () => {
  assert.equal(addMonths("2024-01-31", 1), "2024-02-01");
  assert.equal(addMonths("2024-12-15", 1), "2025-01-01");
  assert.equal(addMonths("2024-01-01", -1), "2023-12-01");
  assert.equal(addMonths("2024-03-01", -14), "2023-01-01");
  assert.equal(addMonths("2024-03-09", 0), "2024-03-01");
  assert.throws(() => addMonths("2024-03-01", 0.5), CoreInputError);
});
