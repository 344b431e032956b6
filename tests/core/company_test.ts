import assert from "node:assert/strict";
import {
  COMPANY_ID_PATTERN,
  companyIdFor,
  constantTimeEqual,
  dashboardTokenFor,
  normalizeCompanyName,
} from "../../core/company.ts";

interface CompanyCase {
  name: string;
  normalized: string;
  company_id: string;
  dashboard_token: string;
}

const fixture = JSON.parse(
  await Deno.readTextFile(
    new URL("../fixtures/company_vectors.json", import.meta.url),
  ),
) as { company_salt: string; dashboard_token_salt: string; cases: CompanyCase[] };

Deno.test("company: every fixture case matches the legacy system (normalized, id, token)", () => {
  assert.equal(fixture.cases.length, 20);
  assert.equal(fixture.company_salt, "csalt");
  assert.equal(fixture.dashboard_token_salt, "dsalt");
  for (const c of fixture.cases) {
    assert.equal(normalizeCompanyName(c.name), c.normalized, JSON.stringify(c.name));
    const id = companyIdFor(c.name, fixture.company_salt);
    assert.equal(id, c.company_id, JSON.stringify(c.name));
    assert.equal(dashboardTokenFor(id, fixture.dashboard_token_salt), c.dashboard_token);
    assert.match(id, COMPANY_ID_PATTERN);
  }
});

Deno.test("company: collapse whitespace first, then drop punctuation (two spaces stay)", () => {
  assert.equal(normalizeCompanyName("O'Brien & Co."), "obrien  co");
  assert.equal(normalizeCompanyName("Ben & Jerry's"), "ben  jerrys");
  // Punctuation at the end leaves the space before it (no second strip, like the legacy system).
  assert.equal(normalizeCompanyName("Foo ."), "foo ");
  assert.equal(normalizeCompanyName("  ..Bar"), "bar");
});

// Expected values below were produced by CPython 3.11's `lower/strip/re.sub` on the same input.
Deno.test("company: Python's Unicode whitespace set (not JavaScript's)", () => {
  assert.equal(normalizeCompanyName("\u00a0Acme\u3000Corp\u2003"), "acme corp");
  assert.equal(companyIdFor("\u00a0Acme\u3000Corp\u2003", "csalt"), "c_a7e357256323");
  // U+001C..U+001F and U+0085 are whitespace in Python, not in JS \s.
  assert.equal(normalizeCompanyName("Foo\x1cBar\x1fBaz"), "foo bar baz");
  assert.equal(companyIdFor("Foo\x1cBar\x1fBaz", "csalt"), "c_4f45eb62573a");
  assert.equal(normalizeCompanyName("Line\u2028Sep\u0085Next"), "line sep next");
  // U+FEFF is whitespace in JS \s but not in Python: it is removed as a non-word character.
  assert.equal(normalizeCompanyName("BOM\ufeffCo"), "bomco");
  assert.equal(companyIdFor("BOM\ufeffCo", "csalt"), "c_b5007af46533");
  // Zero-width joiner / space are not whitespace either.
  assert.equal(normalizeCompanyName("x\u200dy"), "xy");
});

Deno.test("company: \\w keeps letters and numbers of every script but not combining marks", () => {
  // Devanagari vowel signs and virama are marks (Mn/Mc): Python's \w drops them.
  const hindi = "\u0939\u093f\u0928\u094d\u0926\u0940 \u0915\u0902\u092a\u0928\u0940";
  assert.equal(normalizeCompanyName(hindi), "\u0939\u0928\u0926 \u0915\u092a\u0928");
  assert.equal(companyIdFor(hindi, "csalt"), "c_de699807c330");
  assert.equal(normalizeCompanyName("a\u0301\u0327"), "a");
  // Letter numbers (Nl), other numbers (No) and Arabic-Indic digits (Nd) are kept.
  assert.equal(normalizeCompanyName("\u216b Roman \u00bd \u00b2"), "\u217b roman \u00bd \u00b2");
  assert.equal(companyIdFor("\u216b Roman \u00bd \u00b2", "csalt"), "c_81f0030b8257");
  assert.equal(normalizeCompanyName("\u0663\u0664 Arabic"), "\u0663\u0664 arabic");
  // Emoji (So, astral) is removed, leaving the two spaces around it.
  assert.equal(normalizeCompanyName("Emoji \u{1F680} Rocket"), "emoji  rocket");
  assert.equal(companyIdFor("Emoji \u{1F680} Rocket", "csalt"), "c_872f814b83c8");
});

Deno.test("company: full Unicode lowercasing like Python's str.lower()", () => {
  // Final sigma, dotted capital I (→ i + U+0307, which is then removed), titlecase digraph.
  assert.equal(normalizeCompanyName("ΟΔΟΣ Σ.Α."), "οδος σα");
  assert.equal(companyIdFor("ΟΔΟΣ Σ.Α.", "csalt"), "c_9f760cad9161");
  assert.equal(normalizeCompanyName("İstanbul AŞ"), "istanbul aş");
  assert.equal(companyIdFor("İstanbul AŞ", "csalt"), "c_f5ee7381c34e");
  assert.equal(normalizeCompanyName("\u01c4emal"), "\u01c6emal");
});

Deno.test("company: id and token formats", () => {
  const id = companyIdFor("Acme Corp", "csalt");
  assert.equal(id, "c_a7e357256323");
  assert.match(id, /^c_[0-9a-f]{12}$/);
  const token = dashboardTokenFor(id, "dsalt");
  assert.equal(token, "6ce99e1e54ed18055b582ae8");
  assert.match(token, /^[0-9a-f]{24}$/);
  // The salt matters.
  assert.notEqual(companyIdFor("Acme Corp", "other"), id);
  assert.notEqual(dashboardTokenFor(id, "other"), token);
  // Case, surrounding whitespace and punctuation do not.
  assert.equal(companyIdFor("  ACME   corp!! ", "csalt"), id);
});

Deno.test("company: COMPANY_ID_PATTERN", () => {
  for (const ok of ["c_a7e357256323", "A", "a-b_C9", "x".repeat(64)]) {
    assert.ok(COMPANY_ID_PATTERN.test(ok), ok);
  }
  for (const bad of ["", "x".repeat(65), "a b", "a.b", "é", "a\n", "c_1/2"]) {
    assert.ok(!COMPANY_ID_PATTERN.test(bad), JSON.stringify(bad));
  }
});

Deno.test("company: constantTimeEqual", () => {
  assert.equal(constantTimeEqual("6ce99e1e54ed18055b582ae8", "6ce99e1e54ed18055b582ae8"), true);
  assert.equal(constantTimeEqual("6ce99e1e54ed18055b582ae8", "6ce99e1e54ed18055b582ae9"), false);
  assert.equal(constantTimeEqual("abc", "abcd"), false);
  assert.equal(constantTimeEqual("", ""), true);
  assert.equal(constantTimeEqual("", "a"), false);
  assert.equal(constantTimeEqual("société", "société"), true);
  // Lone surrogates are distinct (UTF-8 encoding would map both to U+FFFD).
  assert.equal(constantTimeEqual("\ud800", "\udc00"), false);
});
