// Records a Playwright page to a video file for `npm run demo`.
//
// The main path needs no Playwright download: the Chrome DevTools Protocol screencast
// (Page.startScreencast, JPEG frames, each acknowledged) piped into a real ffmpeg process
// (image2pipe/mjpeg on stdin → VP8 WebM, or MP4 when this ffmpeg has no VP8/VP9 encoder).
// Chromium only sends a frame when the page changes, so frames arrive at irregular times; the
// recorder writes a constant-frame-rate stream on a fixed clock, repeating the latest frame, so the
// video keeps real time (its duration ≈ the recorded span).
//
// ffmpeg: $FFMPEG_PATH, `ffmpeg` on PATH, else Debian's package through apt-get when root on
// Debian (the policy scripts/ensure-browser.mjs uses for Chromium). Without one, openRecordedPage
// falls back to Playwright's recordVideo (its own ffmpeg build); when that fails too the page is
// still opened, unrecorded, and stop() returns { error } with every reason.
//
//   const rec = await openRecordedPage(browser, contextOptions, { dir, name: 'session' });
//   ... use rec.page / rec.context ...
//   const video = await rec.stop(); // { file, method, ... } or { error }; before closing the context
//
// or, with an ffmpeg in hand:  const r = await startScreencast(page, { ffmpeg, file }); ...; await r.stop();
import { spawn, spawnSync, execSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import { setInterval, clearInterval } from 'node:timers';

const log = (msg) => console.error(`[screencast] ${msg}`);
const firstLine = (err) => String(err?.message ?? err).split('\n')[0];
const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');

function works(path) {
  const r = spawnSync(path, ['-hide_banner', '-version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0] : undefined;
}

/**
 * An ffmpeg to encode with: { path, version, source } or { error }.
 * Order: $FFMPEG_PATH, `ffmpeg` on PATH, then (install: true, root on Debian) apt-get.
 */
export function findFfmpeg({ install = true } = {}) {
  const fromEnv = process.env.FFMPEG_PATH;
  if (fromEnv) {
    const version = works(fromEnv);
    return version ? { path: fromEnv, version, source: '$FFMPEG_PATH' } : { error: `FFMPEG_PATH=${fromEnv} does not run` };
  }
  let version = works('ffmpeg');
  if (version) return { path: 'ffmpeg', version, source: 'PATH' };
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const isDebian = existsSync('/etc/debian_version') ||
    (existsSync('/etc/os-release') && /ID(_LIKE)?=.*debian/.test(readFileSync('/etc/os-release', 'utf8')));
  if (!install || !isRoot || !isDebian) {
    return { error: `no ffmpeg on PATH${install ? ` and not root on Debian (root: ${isRoot}, Debian: ${isDebian}), so not installing it` : ''}` };
  }
  log('no ffmpeg on PATH; installing Debian\'s ffmpeg with apt-get');
  try {
    // stdout carries the demo's output folder on its last line: apt's chatter goes to stderr.
    const opts = { stdio: ['ignore', 2, 2], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
    log('$ apt-get update -qq');
    execSync('apt-get update -qq', opts);
    log('$ apt-get install -y -qq --no-install-recommends ffmpeg');
    execSync('apt-get install -y -qq --no-install-recommends ffmpeg', opts);
  } catch (err) {
    return { error: `apt-get install ffmpeg failed: ${firstLine(err)}` };
  }
  version = works('ffmpeg');
  return version ? { path: 'ffmpeg', version, source: 'apt-get (Debian package)' } : { error: 'apt-get installed ffmpeg but `ffmpeg -version` does not run' };
}

/** Output format for this ffmpeg: VP8 WebM if it can, then VP9 WebM, then H.264 or MPEG-4 part 2 in MP4. */
function pickEncoder(ffmpeg, fps) {
  const encoders = spawnSync(ffmpeg, ['-hide_banner', '-encoders'], { encoding: 'utf8' }).stdout ?? '';
  const has = (name) => new RegExp(`^\\s*V\\S*\\s+${name}\\s`, 'm').test(encoders);
  const gop = ['-g', String(fps * 5)];
  // The encoder shares the CPU with the browser being measured, so keep it cheap: realtime, no
  // look-ahead (lag-in-frames 0 alone made VP8 ~2x cheaper here), static blocks skipped.
  const fast = ['-deadline', 'realtime', '-lag-in-frames', '0', '-static-thresh', '1000'];
  if (has('libvpx')) return { ext: 'webm', codec: 'vp8', args: ['-c:v', 'libvpx', ...fast, '-cpu-used', '16', '-crf', '10', '-b:v', '2M', ...gop] };
  if (has('libvpx-vp9')) return { ext: 'webm', codec: 'vp9', args: ['-c:v', 'libvpx-vp9', ...fast, '-cpu-used', '8', '-row-mt', '1', '-crf', '32', '-b:v', '2M', ...gop] };
  if (has('libx264')) return { ext: 'mp4', codec: 'h264', args: ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-movflags', '+faststart', ...gop] };
  return { ext: 'mp4', codec: 'mpeg4', args: ['-c:v', 'mpeg4', '-q:v', '3', '-movflags', '+faststart', ...gop] };
}

/** ffprobe's view of a video (duration, frame count, codec, size), or undefined without ffprobe. */
export function probeVideo(file, ffmpeg = 'ffmpeg') {
  const ffprobe = ffmpeg.includes('/') ? join(dirname(ffmpeg), 'ffprobe') : 'ffprobe';
  const r = spawnSync(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-count_frames',
    '-show_entries', 'stream=codec_name,width,height,r_frame_rate,nb_read_frames:format=duration', '-of', 'json', file], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  try {
    const j = JSON.parse(r.stdout);
    const s = j.streams?.[0] ?? {};
    return { durationS: Number(j.format?.duration), frames: Number(s.nb_read_frames), codec: s.codec_name, width: s.width, height: s.height, frameRate: s.r_frame_rate };
  } catch {
    return undefined;
  }
}

/**
 * Starts recording `page` through the CDP screencast into `file` (its extension is replaced by the
 * one the chosen encoder needs). Returns { file, stop() }; stop() ends the recording and resolves to
 * { file, method, codec, fps, frames, uniqueFrames, spanS, catchUpS } once ffmpeg has finished, or throws.
 */
export async function startScreencast(page, { ffmpeg = 'ffmpeg', file, fps = 15, size = page.viewportSize() ?? { width: 1280, height: 720 }, quality = 80 }) {
  const enc = pickEncoder(ffmpeg, fps);
  file = file.replace(/\.[^./]+$/, '') + '.' + enc.ext;
  const w = size.width - (size.width % 2), h = size.height - (size.height % 2);
  const args = ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'image2pipe', '-c:v', 'mjpeg', '-framerate', String(fps), '-i', 'pipe:0',
    // scale+pad: frames of another size (a resize, a device-scale change) still fit the stream.
    '-vf', `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,format=yuv420p`,
    '-r', String(fps), '-an', ...enc.args, file];
  const proc = spawn(ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  // Below the browser: if the encoder falls behind, frames wait in the pipe, not the measured session.
  try { setPriority(proc.pid, 10); } catch { /* not allowed: run at the same priority */ }
  let stderr = '', procError;
  proc.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  proc.stdin.on('error', (err) => { procError ??= err; });
  const exited = new Promise((resolve) => {
    proc.on('error', (err) => { procError ??= err; resolve(-1); });
    proc.on('close', (code) => resolve(code));
  });

  const session = await page.context().newCDPSession(page);
  const t0 = performance.now();
  let latest, written = 0, unique = 0;
  // Constant frame rate on the wall clock: frame i covers [i/fps, (i+1)/fps) after t0 and shows the
  // latest screencast frame received by then (the first one also fills the time before it came).
  const emitUntil = (now) => {
    const due = Math.floor(((now - t0) * fps) / 1000) + 1;
    if (!latest || procError) return;
    while (written < due) { proc.stdin.write(latest); written++; }
  };
  const onFrame = ({ data, sessionId }) => {
    session.send('Page.screencastFrameAck', { sessionId }).catch(() => { /* page closing */ });
    const frame = Buffer.from(data, 'base64');
    unique++;
    const now = performance.now();
    if (!latest) latest = frame;
    emitUntil(now - 1000 / fps); // time before this frame arrived keeps the previous one
    latest = frame;
  };
  session.on('Page.screencastFrame', onFrame);
  const tick = setInterval(() => emitUntil(performance.now()), 1000 / fps);
  try {
    await session.send('Page.startScreencast', { format: 'jpeg', quality, maxWidth: w, maxHeight: h, everyNthFrame: 1 });
  } catch (err) {
    clearInterval(tick);
    proc.stdin.end();
    await exited;
    throw err;
  }
  log(`recording ${file} (CDP screencast → ${ffmpeg} ${enc.codec}, ${fps} fps)`);

  let stopping;
  const stop = () => (stopping ??= (async () => {
    clearInterval(tick);
    await session.send('Page.stopScreencast').catch(() => { /* page already closed */ });
    session.off('Page.screencastFrame', onFrame);
    await session.detach().catch(() => { /* page already closed */ });
    const spanS = (performance.now() - t0) / 1000;
    emitUntil(performance.now());
    proc.stdin.end();
    const tEnd = performance.now();
    const code = await exited;
    const catchUpS = Number(((performance.now() - tEnd) / 1000).toFixed(2)); // encoder lag at the end
    if (code !== 0 || procError) throw new Error(`ffmpeg ${procError ? firstLine(procError) : `exited with ${code}`}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    if (!unique) throw new Error('the screencast sent no frames');
    if (!existsSync(file) || statSync(file).size === 0) throw new Error(`ffmpeg wrote no ${file}`);
    return { file, method: 'cdp-screencast+ffmpeg', codec: enc.codec, fps, frames: written, uniqueFrames: unique, spanS: Number(spanS.toFixed(2)), catchUpS };
  })());
  return { file, stop, [asyncDispose]: () => stop().catch(() => {}) };
}

/**
 * A new context and page recorded by the best available method: CDP screencast + ffmpeg, else
 * Playwright's recordVideo, else none (also with record: false). Returns { context, page, method, stop() }; call stop() when
 * done with the page and before closing the context: it resolves to { file, method, ... } or
 * { error } (never throws), and may close the page (Playwright's recorder needs that).
 */
export async function openRecordedPage(browser, contextOptions, { dir, name = 'session', fps = 15, record = true } = {}) {
  const size = contextOptions.viewport ?? { width: 1280, height: 720 };
  const reasons = [];
  if (!record) {
    const context = await browser.newContext(contextOptions);
    const stop = async () => ({ error: 'recording turned off (--no-video)' });
    return { context, page: await context.newPage(), method: 'none', stop, [asyncDispose]: stop };
  }

  const ff = findFfmpeg();
  if (ff.path) {
    log(`ffmpeg: ${ff.version} (${ff.source})`);
    const context = await browser.newContext(contextOptions);
    const page = await context.newPage();
    try {
      const rec = await startScreencast(page, { ffmpeg: ff.path, file: join(dir, `${name}.webm`), fps, size });
      const stop = async () => {
        try {
          const result = await rec.stop();
          return { ...result, file: basename(result.file), ffmpeg: `${ff.version} (${ff.source})`, probe: probeVideo(result.file, ff.path) };
        } catch (err) {
          return { error: `CDP screencast + ffmpeg: ${firstLine(err)}` };
        }
      };
      return { context, page, method: 'cdp-screencast+ffmpeg', stop, [asyncDispose]: stop };
    } catch (err) {
      reasons.push(`CDP screencast: ${firstLine(err)}`);
      await context.close();
    }
  } else {
    reasons.push(`ffmpeg: ${ff.error}`);
  }

  // Playwright's recorder writes into its own temporary folder; stop() moves the file to dir/name.webm.
  const tmp = mkdtempSync(join(dir, '.video-'));
  const context = await browser.newContext({ ...contextOptions, recordVideo: { dir: tmp, size } });
  try {
    const page = await context.newPage();
    log('recording with Playwright\'s recordVideo');
    const stop = async () => {
      try {
        const video = page.video();
        await page.close();
        const file = join(dir, `${name}.webm`);
        await video.saveAs(file);
        rmSync(tmp, { recursive: true, force: true });
        return { file: `${name}.webm`, method: 'playwright-recordVideo', probe: probeVideo(file) };
      } catch (err) {
        return { error: `Playwright recordVideo: ${firstLine(err)}` };
      }
    };
    return { context, page, method: 'playwright-recordVideo', stop, [asyncDispose]: stop };
  } catch (err) {
    reasons.push(`Playwright recordVideo: ${firstLine(err)}`);
    await context.close();
    rmSync(tmp, { recursive: true, force: true });
  }

  const error = reasons.join('; ');
  log(`no video: ${error}`);
  const plain = await browser.newContext(contextOptions);
  const stop = async () => ({ error });
  return { context: plain, page: await plain.newPage(), method: 'none', stop, [asyncDispose]: stop };
}
