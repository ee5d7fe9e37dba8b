/**
 * Opens an HTML file in Debian's chromium through playwright-core and
 * collects console errors. A missing chromium FAILS with a clear message
 * (DESIGN principle 4: a real browser for HTML output), it never skips.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchChromium(path: string = CHROMIUM): Promise<Browser> {
  if (!existsSync(path)) {
    throw new Error(
      `chromium not found at ${path}: the HTML outputs must be checked in a real browser. ` +
        `Install it (Debian: apt-get install chromium) or set CHROMIUM_PATH.`,
    );
  }
  return chromium.launch({
    executablePath: path,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
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
