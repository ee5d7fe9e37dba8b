/**
 * Opens an HTML file in a real browser through playwright-core and collects
 * console errors. The browser is found by `@dslab/checker/testing`; a
 * machine without one FAILS with a clear message, it never skips.
 */
import type { Browser } from "playwright-core";
import { launchBrowser } from "@dslab/checker/testing";

export function launchChromium(): Promise<Browser> {
  return launchBrowser();
}

export interface PageReport {
  consoleErrors: string[];
  title: string;
  text: string;
  svgCount: number;
}

export async function openPage(browser: Browser, file: string, inspect?: (page: import("playwright-core").Page) => Promise<void>): Promise<PageReport> {
  const page = await browser.newPage();
  const consoleErrors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  // Self-contained: any network request is a failure.
  page.on("request", (r) => {
    if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) consoleErrors.push(`unexpected request ${r.url()}`);
  });
  await page.goto(`file://${file}`);
  await page.waitForLoadState("load");
  const report = {
    consoleErrors,
    title: await page.title(),
    text: await page.locator("body").innerText(),
    svgCount: await page.locator("svg").count(),
  };
  if (inspect) await inspect(page);
  await page.close();
  return report;
}
