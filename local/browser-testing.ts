// The machine's Chromium for the tests that read pages as a person does (CHROMIUM_PATH, else the
// first on PATH): puppeteer-core downloads no browser. Without one the page tests are reported
// skipped, their name saying what they need; CI installs it (.ci/run) and must not skip them.
import { execFileSync } from 'node:child_process';
import puppeteer, { type Browser } from 'puppeteer-core';

const findChromium = (): string => {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

/** The browser's path, or '' when the machine has none. */
export const chromium = process.env.CHROMIUM_PATH ?? findChromium();
if (!chromium && process.env.CI) throw new Error('CI runs the browser tests: install Chromium (apt-get install chromium) or set CHROMIUM_PATH');

/** A headless Chromium (only where `chromium` names one). */
export const launchChromium = (): Promise<Browser> =>
  puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
