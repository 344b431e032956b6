/**
 * Phone-width and accessibility checks for the browser tests: axe-core (npm) injected into the
 * page over the DevTools protocol (which CSP does not restrict), the horizontal-overflow check at
 * 360 px, and the JavaScript a page loaded.
 */
import axe from "axe-core";
import type { Page } from "./cdp.ts";

/** The smallest phone the pages support (CSS pixels). */
export const PHONE = { width: 360, height: 740 } as const;

const AXE_SOURCE = (axe as unknown as { source: string }).source;

/** One serious or critical axe violation, with the elements it was found on. */
export interface Violation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** Returns the serious and critical axe-core violations (WCAG 2.x A/AA and best practices). */
export async function axeViolations(page: Page): Promise<Violation[]> {
  const loaded = await page.evaluate<boolean>("typeof window.axe === 'object'");
  if (!loaded) await page.evaluate<unknown>(`${AXE_SOURCE};undefined`);
  return await page.evaluate<Violation[]>(`axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
      resultTypes: ["violations"],
    }).then((r) => r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(" ")),
      })))`);
}

/**
 * Returns the page width, the viewport width and the elements reaching past `width`. On a phone
 * Chromium zooms a page that is too wide out until it fits, which widens innerWidth: a page that
 * fits keeps innerWidth equal to the device width.
 */
export async function phoneOverflow(
  page: Page,
  width: number = PHONE.width,
): Promise<{ scrollWidth: number; innerWidth: number; wide: string[] }> {
  return await page.evaluate(`(() => {
    const innerWidth = window.innerWidth;
    const wide = [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > ${width} + 0.5)
      .filter((el) => !el.closest(".table-wrap") || el.classList.contains("table-wrap"))
      .slice(0, 8)
      .map((el) => el.tagName.toLowerCase() + (el.className ? "." + el.className : "") +
        " right=" + Math.round(el.getBoundingClientRect().right));
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth, wide };
  })()`);
}

/** Returns the smallest height and width (CSS px) among the elements matching a selector. */
export async function smallestTarget(
  page: Page,
  selector: string,
): Promise<{ count: number; width: number; height: number }> {
  return await page.evaluate(`(() => {
    const boxes = [...document.querySelectorAll(${JSON.stringify(selector)})]
      .map((el) => el.getBoundingClientRect());
    return {
      count: boxes.length,
      width: Math.min(...boxes.map((b) => b.width)),
      height: Math.min(...boxes.map((b) => b.height)),
    };
  })()`);
}

/** Returns the bytes of JavaScript the page loaded, as transferred (gzip), and the file count. */
export async function scriptBytes(page: Page): Promise<{ files: number; bytes: number }> {
  return await page.evaluate(`(() => {
    const js = performance.getEntriesByType("resource").filter((e) => /\\.js$/.test(e.name));
    return { files: js.length, bytes: js.reduce((a, e) => a + e.encodedBodySize, 0) };
  })()`);
}
