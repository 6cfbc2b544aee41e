import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { Browser } from './cdp';

// The API reference as a reader gets it: the site `pnpm run docs` builds
// (same typedoc.json, written to a temporary directory), served over HTTP and
// opened in a real headless Chromium (Debian's `chromium` package). The pages
// must render — scripts run, navigation built, styles applied — with no script
// error and no failed request. A screenshot of the Reactor page is written to
// docs-screenshot.png at the repository root (git-ignored).
//
// Without Chromium on this machine the test is skipped, saying so; with CI set
// in the environment its absence fails instead (CI installs it).
const ROOT = join(__dirname, '..', '..');
const CHROMIUM = ['chromium', 'chromium-browser', 'google-chrome'].find((name) => spawnSync('which', [name]).status === 0);
const SCREENSHOT = join(ROOT, 'docs-screenshot.png');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2',
};

/** A static file server over `dir`, as any web host would serve the site. */
function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = normalize(join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname)));
    const file = path.startsWith(dir) && existsSync(path) && statSync(path).isDirectory() ? join(path, 'index.html') : path;
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const describeWithBrowser = CHROMIUM !== undefined || process.env.CI ? describe : describe.skip;
if (CHROMIUM === undefined && !process.env.CI) {
  // Said once, plainly, in the test output.
  console.warn('docs/test/site.test.ts skipped: no chromium on this machine (apt-get install chromium); CI installs it');
}

describeWithBrowser('the API reference site in headless Chromium', () => {
  let out: string;
  let server: Server;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    if (CHROMIUM === undefined) throw new Error('CI is set but no chromium is installed (apt-get install chromium)');
    out = mkdtempSync(join(tmpdir(), 'docs-site-'));
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out, '--logLevel', 'Warn'], { cwd: ROOT, stdio: 'pipe' });
    server = await serve(out);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await Browser.launch(CHROMIUM, 1280, 1000);
  }, 120000); // ~30 s on a quiet 2-core machine (the TypeDoc build is most of it); the bound is for a loaded one

  afterAll(async () => {
    await browser?.close();
    if (server !== undefined) await new Promise((resolve) => server.close(resolve));
    if (out !== undefined) rmSync(out, { recursive: true, force: true });
  });

  test('the Reactor page renders: title, summary, its example, the navigation by concern; a screenshot', async () => {
    await browser.open(`${base}/classes/_reactor_reactor.Reactor.html`);
    // The navigation tree is built by the site's script from assets/navigation.js.
    await browser.waitFor(`document.querySelectorAll('.site-menu nav a, #tsd-nav-container a').length > 20`, 'the navigation tree');
    expect(await browser.evaluate<string>(`document.querySelector('h1').textContent`)).toBe('Class Reactor');
    expect(await browser.evaluate<string>(`document.querySelector('.tsd-comment').textContent`)).toContain('One selector loop');
    const example = await browser.evaluate<string>(`[...document.querySelectorAll('pre code')].map((e) => e.textContent).join('\\n')`);
    expect(example).toContain('const loop = new Reactor();');
    // Highlighted by the build (spans with colour classes), styled by the stylesheet.
    expect(await browser.evaluate<number>(`document.querySelectorAll('pre code span[class^="hl-"]').length`)).toBeGreaterThan(10);
    expect(await browser.evaluate<string>(`getComputedStyle(document.documentElement).getPropertyValue('--color-background').trim()`)).not.toBe('');
    const nav = await browser.evaluate<string>(`document.querySelector('.site-menu').innerText`);
    for (const heading of ['Loop', 'Sources', 'Networking', 'Benchmark results', 'Soak and fault suite: figures']) expect(nav).toContain(heading);
    // Members are listed on the page, with their own documentation.
    expect(await browser.evaluate<string[]>(`[...document.querySelectorAll('.tsd-member h3')].map((e) => e.textContent.trim())`)).toEqual(
      expect.arrayContaining(['run', 'runBlocking', 'stop', 'close', 'listen', 'watch']),
    );
    const png = await browser.screenshot();
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1280, 1000]);
    writeFileSync(SCREENSHOT, png);
    expect(browser.problems).toEqual({ exceptions: [], consoleErrors: [], failedRequests: [] });
  }, 30000);

  test('the module pages list their items by concern; the reports are pages with their charts', async () => {
    await browser.open(`${base}/modules/_reactor_reactor.html`);
    const sections = await browser.evaluate<string[]>(`[...document.querySelectorAll('.col-content details > summary h2')].map((e) => e.textContent.trim())`);
    expect(sections).toEqual(['Loop', 'Sources', 'Networking', 'Errors']);
    await browser.open(`${base}/modules/_reactor_fds.html`);
    const fdsSections = await browser.evaluate<string[]>(`[...document.querySelectorAll('.col-content details > summary h2')].map((e) => e.textContent.trim())`);
    expect(fdsSections.slice(0, 6)).toEqual(['File descriptors', 'Sockets', 'Signals and processes', 'FFI binding', 'Errors', 'Constants: epoll']);

    await browser.open(`${base}/documents/Benchmark_results.html`);
    await browser.waitFor(`[...document.images].length > 0 && [...document.images].every((img) => img.complete)`, 'the charts');
    const charts = await browser.evaluate<Array<[string, number]>>(`[...document.images].map((img) => [img.alt, img.naturalWidth])`);
    expect(charts.length).toBeGreaterThanOrEqual(5);
    expect(charts.filter(([, width]) => width === 0)).toEqual([]);
    expect(await browser.evaluate<number>(`document.querySelectorAll('.col-content table').length`)).toBeGreaterThan(3);

    // The README (the site's front page) links to the report pages, not to raw markdown.
    await browser.open(`${base}/index.html`);
    const links = await browser.evaluate<string[]>(`[...document.querySelectorAll('.col-content a')].map((a) => a.getAttribute('href'))`);
    expect(links).toEqual(expect.arrayContaining(['documents/Benchmark_results.html', 'documents/Soak_and_fault_suite__figures.html']));
    expect(links.filter((href) => href !== null && /\.md$/.test(href))).toEqual([]);
    expect(browser.problems).toEqual({ exceptions: [], consoleErrors: [], failedRequests: [] });
  }, 30000);
});
