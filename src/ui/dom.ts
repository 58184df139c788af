// Small DOM helpers for the page's own markup (index.html). Elements are found by data-testid,
// the same handles tests and demos use, so the markup has one set of names.

/** The element with this data-testid; a missing one is a bug in index.html, so it throws. */
export function byTestId<T extends HTMLElement = HTMLElement>(testId: string, root: ParentNode = document): T {
  const element = root.querySelector<T>(`[data-testid="${testId}"]`);
  if (!element) throw new Error(`index.html has no element with data-testid="${testId}"`);
  return element;
}

/** Creates an element with text content (never innerHTML) and attributes. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K, attributes: Record<string, string> = {}, text?: string,
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  if (text !== undefined) el.textContent = text;
  return el;
}
