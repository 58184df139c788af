// Boot: wires the page's modules together. No logic of its own lives here; each piece is a
// Disposable owned by one store that is disposed when the page goes away.

import './ui/styles.css';
import { assistantAutomation, installAutomation, type SparkAutomation } from './automation.ts';
import { EditorHost } from './editor/editor-host.ts';
import { installMonacoEnvironment } from './editor/monaco-environment.ts';
import { Assistant } from './editor/assistant.ts';
import { describeRemoteModel, probeWebGpu, type ProbeResult, type RemoteModelInfo } from './engine/index.ts';
import { Hud } from './hud/hud.ts';
import { PerfHub } from './hud/perf-hub.ts';
import { DEFAULT_SETTINGS, quantizeFormatOf, SettingsModel, type SlotName } from './settings.ts';
import { WELCOME, WorkspaceSession } from './share/session.ts';
import { collapsedSelection } from './document/snapshot.ts';
import { idbWorkspaceStore } from './share/workspace-db.ts';
import { BrowserTabPeers } from './share/tabs.ts';
import { CachePanel } from './ui/cache-panel.ts';
import { byTestId } from './ui/dom.ts';
import { DownloadBar } from './ui/download-bar.ts';
import { LanguagePicker } from './ui/language-picker.ts';
import { LinkModelPrompt } from './ui/link-model-prompt.ts';
import { RecentModels, runningModel } from './ui/recent-models.ts';
import { ModelFilePicker } from './ui/model-file-picker.ts';
import { ModelSlotPicker } from './ui/model-slot-picker.ts';
import { ModelSourcePicker } from './ui/model-source-picker.ts';
import { Notices, downloadText } from './ui/notices.ts';
import { RecoveryPanel } from './ui/recovery-panel.ts';
import { SettingsPanel } from './ui/settings-panel.ts';
import { ShareBanner } from './ui/share-banner.ts';
import { StatusBar } from './ui/status-bar.ts';
import { Toast } from './ui/toast.ts';
import { DisposableStore, listen } from './util/disposable.ts';

function boot(): DisposableStore {
  const app = new DisposableStore();
  app.add(installMonacoEnvironment());

  const toast = app.add(new Toast(byTestId('toast')));
  const statusBar = app.add(new StatusBar(byTestId('status-bar')));
  const banner = app.add(new ShareBanner(byTestId('share-banner')));
  const notices = app.add(new Notices(byTestId('share-banner')));
  const settings = app.add(new SettingsModel(DEFAULT_SETTINGS));
  app.add(new SettingsPanel(byTestId('settings-panel'), byTestId<HTMLButtonElement>('settings-button'), settings));

  // The probe runs alongside everything else; the editor never waits for it.
  const probe: Promise<ProbeResult> = probeWebGpu().then((result) => {
    statusBar.showProbe(result);
    return result;
  });

  const describeModel = (source: string, signal: AbortSignal) => {
    const quantizeFloats = quantizeFormatOf(settings.value);
    return describeRemoteModel(source, { hubEndpoint: __SPARK_HUB_ENDPOINT__, allowedHosts: __SPARK_MODEL_HOSTS__, signal, ...(quantizeFloats ? { quantizeFloats } : {}) });
  };
  const openModel = (info: RemoteModelInfo, slot: SlotName = 'ghost') =>
    void assistant.loadRemote({ source: info.source, pinned: info.label, ...(info.bytes !== undefined ? { bytes: info.bytes } : {}) }, slot);
  const recents = new RecentModels(localStorage);
  const linkModel = app.add(new LinkModelPrompt({ describe: describeModel, open: openModel, notice: (text, actions) => notices.show('link-model', text, actions) }));

  const editor = app.add(new EditorHost(byTestId('editor'), WELCOME));
  const session = app.add(new WorkspaceSession({
    editor,
    settings,
    store: idbWorkspaceStore(),
    peers: app.add(new BrowserTabPeers('spark.workspace.v1')),
    welcome: WELCOME,
    location: {
      hash: () => window.location.hash,
      replaceHash: (hash) => history.replaceState(history.state, '', hash || window.location.pathname + window.location.search),
      href: () => window.location.href,
    },
    ui: {
      toast: (message, kind) => toast.show(message, kind),
      showBanner: (onChoice) => banner.show(onChoice),
      hideBanner: () => banner.hide(),
      saveState: (text) => statusBar.showSaveState(text),
      notice: (key, text, actions) => notices.show(key, text, actions),
      download: downloadText,
    },
    copyToClipboard: (text) => navigator.clipboard.writeText(text),
    models: { running: () => runningModel(assistant.running), offer: (source) => linkModel.offer(source), hosts: __SPARK_MODEL_HOSTS__ },
  }));

  app.add(new RecoveryPanel({
    before: byTestId('share-button'),
    list: () => session.recoveryEntries(),
    pick: (id) => void session.recover(id),
  }));

  const hub = app.add(new PerfHub());
  const hud = app.add(new Hud(byTestId('hud-slot'), hub));
  const assistant = app.add(new Assistant({
    editor: editor.editor,
    settings,
    hub,
    hud,
    showStatus: (text, state) => {
      statusBar.showEngine(text, state);
      if (state !== 'loading') downloads.hide();
    },
    showRewrite: (state, edits, message) => statusBar.showRewrite(byTestId('rewrite-bar'), state, edits, message),
    onModel: (file) => modelFile.showModel(file),
    onRunning: (choice) => {
      recents.record(choice);
      sourcePicker.refreshRecents();
    },
    hubEndpoint: __SPARK_HUB_ENDPOINT__,
  }));
  const loadInto = app.add(new ModelSlotPicker(byTestId('model-slot-picker-slot')));
  const modelFile = app.add(new ModelFilePicker({
    slot: byTestId('model-file-slot'),
    dropTarget: window,
    open: (file) => void assistant.loadFile(file, loadInto.value),
    openFolder: (name, files) => void assistant.loadFolder(name, files, loadInto.value),
    notify: (message, kind) => toast.show(message, kind),
    storage: localStorage,
  }));
  const sourcePicker = app.add(new ModelSourcePicker({
    slot: byTestId('model-source-slot'),
    describe: describeModel,
    open: (info) => openModel(info, loadInto.value),
    notify: (message, kind) => toast.show(message, kind),
    recents,
  }));

  const downloads = app.add(new DownloadBar({ slot: byTestId('download-slot'), engine: assistant.slots }));
  app.add(new CachePanel({
    panel: byTestId('cache-panel'),
    toggleButton: byTestId<HTMLButtonElement>('cache-button'),
    list: () => assistant.client.listCache(),
    delete: (key) => assistant.client.deleteCached(key),
    load: (source) => void assistant.loadRemote({ source }),
    notify: (message, kind) => toast.show(message, kind),
    onDidChange: (listener) => assistant.client.onReady(listener),
    ...(navigator.storage ? { storage: navigator.storage } : {}),
  }));

  const picker = app.add(new LanguagePicker(byTestId<HTMLSelectElement>('language-picker'), (id) => editor.setLanguage(id)));
  picker.show(editor.language);
  app.add(editor.onDidChange((kind) => {
    session.onEditorChange(kind);
    if (kind === 'language') picker.show(editor.language);
    if (kind === 'selection') statusBar.showSelections(editor.getSelections());
  }));
  statusBar.showSelections(editor.getSelections());

  const share = () => void session.share();
  app.add(listen(byTestId('share-button'), 'click', share));
  // Capture phase, so Ctrl/Cmd+S is ours (not the browser's "save page") wherever focus is.
  app.add(listen(window, 'keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === 's') {
      event.preventDefault();
      share();
    }
  }, { capture: true }));
  app.add(listen(window, 'hashchange', () => void session.onHashChange()));
  // Flush on hide/unload: the debounce must not cost the last keystrokes of a closing tab.
  app.add(listen(document, 'visibilitychange', () => {
    if (document.visibilityState === 'hidden') void session.flush();
  }));
  app.add(listen(window, 'pagehide', () => void session.flush()));

  const ready = session.start();
  const handle: SparkAutomation = {
    ready,
    probe,
    getState: () => {
      const state = session.snapshot();
      const primary = state.selections[0] ?? collapsedSelection(1, 1);
      return { ...state, cursor: { line: primary.activeLine, column: primary.activeColumn }, mode: session.mode };
    },
    setDocument: (text, language) => {
      if (language !== undefined) editor.setLanguage(language);
      editor.setText(text);
    },
    setLanguage: (language) => editor.setLanguage(language),
    setCursor: (line, column) => {
      editor.setSelections([collapsedSelection(line, column)]);
      editor.focus();
    },
    setSelections: (selections) => editor.setSelections(selections),
    setSettings: (partial) => settings.update(partial),
    share: () => session.share(),
    flushWorkspace: () => session.flush(),
    ...assistantAutomation(assistant, hud),
  };
  app.add(installAutomation(window, handle));
  void ready.then(() => editor.focus());
  return app;
}

const page = boot();
window.addEventListener('pagehide', (event) => {
  // A page kept in the back/forward cache comes back alive; only a real unload tears down.
  if (!event.persisted) page.dispose();
}, { once: false });
