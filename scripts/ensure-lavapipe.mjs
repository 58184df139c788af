#!/usr/bin/env node
// Mesa's lavapipe, a software Vulkan driver with shader-f16, for the kernels SwiftShader cannot
// run (the f16-maths tile pass): `npm test`'s f16 project runs them on it through Dawn in Node.
// Debian's own Mesa is used when it is new enough for Dawn; Debian 12's (22.3) is not ("Vulkan
// shaderUniform*ArrayDynamicIndexing required"), so its backports suite's Mesa is fetched, from
// the archive the machine's apt sources already name. Nothing is installed: the packages are
// unpacked under node_modules/.cache, with private apt lists, and only the processes started with
// the returned environment see the driver (Chromium and the other suites keep SwiftShader).
// Everything it says goes to stderr.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { userInfo } from 'node:os';

const DIR = resolve('node_modules/.cache/spark-lavapipe');
const DRIVER = 'libvulkan_lvp.so';
const say = (line) => console.error(`[ensure-lavapipe] ${line}`);

/** The environment that gives a process lavapipe as its only Vulkan driver. */
export function ensureLavapipe() {
  const ready = join(DIR, 'ready.json');
  if (existsSync(ready)) {
    const env = JSON.parse(readFileSync(ready, 'utf8'));
    if (existsSync(env.VK_ICD_FILENAMES)) {
      say(`using ${env.VK_ICD_FILENAMES}`);
      return env;
    }
  }
  const env = fetchAndUnpack();
  checkLibraries(env);
  writeFileSync(ready, JSON.stringify(env, null, 1));
  return env;
}

function fetchAndUnpack() {
  if (!existsSync('/etc/debian_version') || !hasCommand('apt-get') || !hasCommand('dpkg')) {
    throw new Error('[ensure-lavapipe] needs Debian\'s apt-get and dpkg to fetch Mesa\'s lavapipe (the shader-f16 adapter the f16 tests run on)');
  }
  const codename = /^VERSION_CODENAME=(\S+)$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  if (!codename) throw new Error('[ensure-lavapipe] /etc/os-release names no VERSION_CODENAME');
  const archive = debianArchive(codename);
  rmSync(DIR, { recursive: true, force: true });
  for (const d of ['apt/lists/partial', 'apt/cache/archives/partial', 'apt/sources.list.d', 'debs', 'root']) mkdirSync(join(DIR, d), { recursive: true });
  writeFileSync(join(DIR, 'apt/sources.list'), '');
  writeFileSync(join(DIR, 'apt/sources.list.d/debian.sources'), [
    'Types: deb', `URIs: ${archive.uri}`, `Suites: ${codename} ${codename}-backports`, 'Components: main',
    ...(archive.signedBy ? [`Signed-By: ${archive.signedBy}`] : []), '',
  ].join('\n'));
  const apt = ['-q', '-o', `Dir::Etc::SourceList=${join(DIR, 'apt/sources.list')}`, '-o', `Dir::Etc::SourceParts=${join(DIR, 'apt/sources.list.d')}`,
    '-o', `Dir::State::Lists=${join(DIR, 'apt/lists')}`, '-o', `Dir::Cache=${join(DIR, 'apt/cache')}`, '-o', 'Debug::NoLocking=1',
    '-o', `APT::Sandbox::User=${userInfo().username}`];
  run('apt-get', [...apt, 'update']);
  // The backports suite's Mesa where there is one (Debian 12), else the release's own.
  const suite = showPackage(apt, `mesa-vulkan-drivers/${codename}-backports`) ? `${codename}-backports` : codename;
  const mesa = showPackage(apt, `mesa-vulkan-drivers/${suite}`);
  if (!mesa) throw new Error(`[ensure-lavapipe] the archive has no mesa-vulkan-drivers for ${codename}`);
  say(`Mesa ${field(mesa, 'Version')} from ${suite}`);
  // Its dependencies that the machine lacks, or has too old (newer libdrm, its LLVM): one level
  // deep, checked afterwards by ldd.
  const wanted = ['mesa-vulkan-drivers'];
  for (const clause of (field(mesa, 'Depends') ?? '').split(',')) {
    const m = /^\s*([a-z0-9][a-z0-9+.-]*)(?::any)?\s*(?:\(([<>=]+)\s*([^)]+)\))?/.exec(clause.split('|')[0]);
    if (m && !installedSatisfies(m[1], m[2], m[3])) wanted.push(m[1]);
  }
  const specs = wanted.map((name) => (showPackage(apt, `${name}/${suite}`) ? `${name}/${suite}` : name));
  run('apt-get', [...apt, 'download', ...specs], join(DIR, 'debs'));
  for (const deb of readdirSync(join(DIR, 'debs')).filter((f) => f.endsWith('.deb'))) run('dpkg', ['-x', join(DIR, 'debs', deb), join(DIR, 'root')]);
  const driver = findFile(join(DIR, 'root'), DRIVER);
  if (!driver) throw new Error(`[ensure-lavapipe] ${DRIVER} is not in ${wanted[0]}`);
  const icd = join(DIR, 'lvp_icd.json');
  writeFileSync(icd, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: driver, api_version: '1.3.0' } }));
  const libs = dirname(driver);
  return { VK_ICD_FILENAMES: icd, LD_LIBRARY_PATH: [libs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
}

/** The Debian archive the machine's apt sources use for `codename` (deb822 .sources or sources.list lines). */
function debianArchive(codename) {
  const files = ['/etc/apt/sources.list', ...listDir('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f))]
    .filter((f) => /\.(sources|list)$/.test(f) && existsSync(f));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const get = (k) => new RegExp(`^${k}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim();
        if (/^Types:.*\bdeb\b/mi.test(stanza) && (get('Suites') ?? '').split(/\s+/).includes(codename) && (get('Components') ?? '').split(/\s+/).includes('main')) {
          return { uri: get('URIs').split(/\s+/)[0], signedBy: get('Signed-By') };
        }
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s+(.*)$/.exec(line.trim());
        if (m && m[3] === codename && m[4].split(/\s+/).includes('main')) {
          return { uri: m[2], signedBy: /signed-by=(\S+)/.exec(m[1] ?? '')?.[1] };
        }
      }
    }
  }
  throw new Error(`[ensure-lavapipe] no apt source for Debian ${codename} main in /etc/apt`);
}

/** Every library the driver loads resolves, with the unpacked ones first. */
function checkLibraries(env) {
  const driver = JSON.parse(readFileSync(env.VK_ICD_FILENAMES, 'utf8')).ICD.library_path;
  const out = execFileSync('ldd', [driver], { env: { ...process.env, LD_LIBRARY_PATH: env.LD_LIBRARY_PATH }, encoding: 'utf8' });
  const missing = out.split('\n').filter((l) => l.includes('not found')).map((l) => l.trim().split(' ')[0]);
  if (missing.length) throw new Error(`[ensure-lavapipe] ${driver} needs libraries this machine lacks: ${missing.join(', ')}`);
  say(`lavapipe ready: VK_ICD_FILENAMES=${env.VK_ICD_FILENAMES}`);
}

function showPackage(apt, spec) {
  const r = spawnSync('apt-cache', [...apt, 'show', spec], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.split(/\n\s*\n/)[0] : undefined;
}

const field = (record, name) => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(record)?.[1]?.trim();

function installedSatisfies(name, op, version) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status} ${Version}', name], { encoding: 'utf8' });
  const m = /install ok installed (\S+)/.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) return false;
  if (!op) return true;
  const dpkgOp = { '>=': 'ge', '<=': 'le', '>>': 'gt', '<<': 'lt', '=': 'eq' }[op];
  return spawnSync('dpkg', ['--compare-versions', m[1], dpkgOp, version.trim()]).status === 0;
}

function findFile(dir, name) {
  for (const entry of listDir(dir)) {
    const p = join(dir, entry);
    if (entry === name) return p;
    if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) {
      const found = findFile(p, name);
      if (found) return found;
    }
  }
  return undefined;
}

const listDir = (dir) => (existsSync(dir) ? readdirSync(dir) : []);
const hasCommand = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function run(cmd, args, cwd) {
  say(`$ ${cmd} ${args.filter((a) => !a.startsWith('Dir::') && a !== '-o').join(' ')}`);
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 2, 2] });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = ensureLavapipe();
  console.log(Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n'));
}
