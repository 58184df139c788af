// Monaco's language services run in web workers. Vite bundles each worker through its `?worker`
// import, and Monaco asks for them by label through self.MonacoEnvironment.getWorker.

import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import JsonWorker from 'monaco-editor/language/json/json.worker?worker';
import CssWorker from 'monaco-editor/language/css/css.worker?worker';
import HtmlWorker from 'monaco-editor/language/html/html.worker?worker';
import TsWorker from 'monaco-editor/language/typescript/ts.worker?worker';
import { toDisposable, type Disposable } from '../util/disposable.ts';

/** Which worker serves which label (the label is the language id a service registered). */
export function workerForLabel(label: string): Worker {
  switch (label) {
    case 'json':
      return new JsonWorker();
    case 'css':
    case 'scss':
    case 'less':
      return new CssWorker();
    case 'html':
    case 'handlebars':
    case 'razor':
      return new HtmlWorker();
    case 'typescript':
    case 'javascript':
      return new TsWorker();
    default:
      return new EditorWorker();
  }
}

/** Installs the worker factory; disposing restores whatever environment was there before. */
export function installMonacoEnvironment(): Disposable {
  const previous = self.MonacoEnvironment;
  self.MonacoEnvironment = { ...previous, getWorker: (_workerId: string, label: string) => workerForLabel(label) };
  return toDisposable(() => {
    self.MonacoEnvironment = previous;
  });
}
