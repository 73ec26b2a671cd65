/*
 * <sanad-chat>: an embeddable chat widget for a Sanad server.
 *
 *   <script src="https://sanad.example/web/sanad-widget.js" defer></script>
 *   <sanad-chat server="https://sanad.example" lang="ar" mode="launcher" title="اسأل المقال"></sanad-chat>
 *
 * Attributes: server (base URL; default: where this script came from), lang (ar|en interface;
 * default: the page's lang), mode (inline|launcher), title, view (chat|claim: the tab shown first).
 * Hooks: each citation chip is a <button data-citation="<passage id>">; the cited sentence is a
 * <mark>; the input is a labelled <textarea>. Event "sanad-citation" (bubbles, composed) fires
 * when a citation opens, detail {id, doc_id, start, end}.
 * Claim mode (the "Check a claim" tab, attribute view="claim" to open on it, method checkClaim(text)):
 * POST /v1/verify with the claim; the verdict is [data-verdict], each evidence sentence a
 * li.ev[data-passage][data-stance], each marked span a mark.span[data-stance][data-kind].
 *
 * Safety: every piece of server or user text goes in through textContent / createTextNode
 * and is never parsed as HTML. Styles are a constructed stylesheet, so a strict CSP (no inline style)
 * does not break the widget. No build step, no dependencies.
 */
(() => {
  'use strict';

  const SCRIPT_SRC = document.currentScript ? document.currentScript.src : '';
  const HISTORY_MESSAGES = 8; // the last four exchanges: enough to resolve a follow-up
  const TIMEOUT_MS = 30000;
  const ARABIC = /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/;
  const LATIN_OR_NUMBER = /[A-Za-z0-9\u0660-\u0669\u06F0-\u06F9](?:[A-Za-z0-9\u0660-\u0669\u06F0-\u06F9'’.,:/%-]*[A-Za-z0-9\u0660-\u0669\u06F0-\u06F9%])?(?:\s+[A-Za-z0-9\u0660-\u0669\u06F0-\u06F9](?:[A-Za-z0-9\u0660-\u0669\u06F0-\u06F9'’.,:/%-]*[A-Za-z0-9\u0660-\u0669\u06F0-\u06F9%])?)*/g;
  const MARKER = /\[(\d+)\]/g;
  const LINE_BREAK = new Set(['\n', '\r', '\u2028', '\u2029']);

  const STRINGS = {
    en: {
      dir: 'ltr', title: 'Ask the article', label: 'Your question',
      placeholder: 'Ask about the article…', send: 'Send', sending: 'Searching the article…',
      conversation: 'Conversation', switchTo: 'العربية', switchLabel: 'Switch the interface to Arabic',
      open: 'Ask the article', close: 'Close', empty: 'Please type a question first — for example: “When did relations between the US and Qatar begin?”',
      hint: 'Enter sends, Shift+Enter adds a line.',
      you: 'You', sanad: 'Sanad', sources: 'Sources', notInArticle: 'Not in the article',
      closest: 'Closest passages — not an answer', citation: 'Citation', section: 'Section',
      translation: 'English translation', score: 'Score', passage: 'Passage',
      copy: 'Copy citation', copied: 'Citation copied.', copyFailed: 'Could not copy; select the text instead.',
      closeCitation: 'Close citation', retry: 'Retry', networkError: 'Could not reach the Sanad server.',
      serverError: 'The server could not answer', timeout: 'The server took too long to answer.',
      docUnavailable: 'Could not load the article; showing the cited sentence only.',
      welcome: 'Ask a question about the article, in Arabic or English. Every answer cites its sentences.',
    },
    ar: {
      dir: 'rtl', title: 'اسأل المقال', label: 'سؤالك',
      placeholder: 'اسأل عن المقال…', send: 'إرسال', sending: 'جارٍ البحث في المقال…',
      conversation: 'المحادثة', switchTo: 'English', switchLabel: 'Switch the interface to English',
      open: 'اسأل المقال', close: 'إغلاق', empty: 'اكتب سؤالك أولًا — مثلًا: «متى بدأت العلاقات بين الولايات المتحدة وقطر؟»',
      hint: 'زر Enter يرسل، وShift+Enter يضيف سطرًا.',
      you: 'أنت', sanad: 'سند', sources: 'المصادر', notInArticle: 'ليس في المقال',
      closest: 'أقرب المقاطع — ليست إجابة', citation: 'الاستشهاد', section: 'القسم',
      translation: 'الترجمة الإنجليزية', score: 'الدرجة', passage: 'المقطع',
      copy: 'نسخ الاستشهاد', copied: 'نُسخ الاستشهاد.', copyFailed: 'تعذّر النسخ؛ حدّد النص يدويًا.',
      closeCitation: 'إغلاق الاستشهاد', retry: 'أعد المحاولة', networkError: 'تعذّر الوصول إلى خادم سند.',
      serverError: 'تعذّر على الخادم الإجابة', timeout: 'استغرق الخادم وقتًا طويلًا للإجابة.',
      docUnavailable: 'تعذّر تحميل المقال؛ تُعرض الجملة المستشهد بها وحدها.',
      welcome: 'اطرح سؤالًا عن المقال بالعربية أو الإنجليزية، وستأتي كل إجابة مع جملها المستشهد بها.',
    },
  };

  const CSS = `
:host { all: initial; display: block;
  --sanad-accent: #1d4ed8; --sanad-accent-ink: #1e3a8a; --sanad-bg: #ffffff; --sanad-ink: #1a1a1a;
  --sanad-muted: #4b5563; --sanad-line: #d1d5db; --sanad-radius: 12px;
  --sanad-font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans",
    "Noto Naskh Arabic", "Noto Sans Arabic", "Geeza Pro", Tahoma, "DejaVu Sans", sans-serif;
  --sanad-font-ar: "Noto Naskh Arabic", "Noto Sans Arabic", "Geeza Pro", "Segoe UI", Tahoma,
    "Amiri", "Arabic Typesetting", "Traditional Arabic", "DejaVu Sans", sans-serif;
  font-family: var(--sanad-font); font-size: 16px; line-height: 1.5; color: var(--sanad-ink); }
/* Set again inside: a host page rule such as "* { color: red !important }" reaches the host
   element itself (and would be inherited), but not the elements of the shadow tree. */
.root { font-family: var(--sanad-font); font-size: 16px; line-height: 1.5; color: var(--sanad-ink);
  text-align: start; }
:host([hidden]) { display: none; }
[hidden] { display: none !important; }
*, *::before, *::after { box-sizing: border-box; }
:lang(ar) { font-family: var(--sanad-font-ar); line-height: 1.75; }
bdi, .iso { unicode-bidi: isolate; }
button, textarea { font: inherit; color: inherit; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid var(--sanad-accent); outline-offset: 2px; }
.panel { display: flex; flex-direction: column; background: var(--sanad-bg);
  border: 1px solid var(--sanad-line); border-radius: var(--sanad-radius); overflow: hidden;
  height: var(--sanad-height, 640px); max-height: 100%; min-width: 0; }
.head { display: flex; align-items: center; gap: 8px; padding: 10px 14px;
  background: #0f2a5c; color: #ffffff; }
.head h2 { flex: 1; margin: 0; font-size: 1.05rem; font-weight: 700; }
.head button { background: transparent; color: #ffffff; border: 1px solid rgba(255,255,255,.7);
  border-radius: 999px; padding: 2px 12px; font-size: .9rem; }
.head button:hover { background: rgba(255,255,255,.15); }
.body { position: relative; flex: 1 1 0; min-height: 160px; display: flex; }
.log { flex: 1 1 auto; overflow-y: auto; padding: 12px; display: flex; flex-direction: column;
  gap: 10px; }
.msg { max-width: 92%; padding: 8px 12px; border-radius: var(--sanad-radius); white-space: pre-wrap;
  overflow-wrap: anywhere; }
.msg .who { display: block; font-size: .8rem; font-weight: 700; color: var(--sanad-muted); }
.msg.user { align-self: flex-end; background: #e8f0fe; color: #0b1f44; }
.msg.bot { align-self: flex-start; background: #f3f4f6; }
.msg.note { align-self: stretch; max-width: 100%; background: transparent; color: var(--sanad-muted);
  font-size: .92rem; padding: 0 4px; }
.msg.abstain { background: #fff7e6; border: 2px dashed #b45309; color: #3d2200; }
.badge { display: inline-block; margin: 0 0 6px; padding: 1px 10px; border-radius: 999px;
  background: #b45309; color: #ffffff; font-size: .85rem; font-weight: 700; white-space: normal; }
.msg.error { align-self: stretch; max-width: 100%; background: #fdecea; color: #7f1d1d;
  border: 1px solid #b91c1c; }
.msg.error button { margin-inline-start: 8px; background: #7f1d1d; color: #ffffff; border: 0;
  border-radius: 8px; padding: 4px 14px; }
.msg.loading { color: var(--sanad-muted); font-style: italic; }
.msg.loading::after { content: ""; display: inline-block; width: 1.2em; text-align: start;
  animation: sanad-dots 1.2s steps(4, end) infinite; }
@keyframes sanad-dots { 0% { content: ""; } 25% { content: "."; } 50% { content: ".."; } 75% { content: "..."; } }
@media (prefers-reduced-motion: reduce) { .msg.loading::after { animation: none; content: "…"; } }
.answer { margin: 0; }
.marker { display: inline-block; unicode-bidi: isolate; border: 0; background: transparent;
  color: var(--sanad-accent-ink); font-weight: 700; padding: 0 1px; text-decoration: underline; }
.chips-label { display: block; margin: 8px 0 4px; font-size: .85rem; font-weight: 700;
  color: var(--sanad-muted); white-space: normal; }
.msg.abstain .chips-label { color: #6b3a00; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; margin: 0; padding: 0; list-style: none;
  white-space: normal; }
.chip { display: inline-flex; gap: 6px; align-items: baseline; max-width: 100%; text-align: start;
  border: 1px solid var(--sanad-accent); background: #eff6ff; color: var(--sanad-accent-ink);
  border-radius: 999px; padding: 3px 12px; font-size: .88rem; }
.chip:hover, .chip[aria-expanded="true"] { background: #dbeafe; }
.chip.closest { border-style: dashed; border-color: #92400e; background: #fffbeb; color: #5c3300; }
.chip .n { font-weight: 700; unicode-bidi: isolate; }
.chip .snip { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 22ch; }
/* The source view covers the conversation while open: the full paragraph needs the room. */
.cite { position: absolute; inset: 0; overflow-y: auto; border-top: 3px solid var(--sanad-accent);
  background: #fbfcfe; padding: 10px 14px; }
.cite-head { display: flex; align-items: center; gap: 8px; }
.cite-head h3 { flex: 1; margin: 0; font-size: 1rem; }
.cite-head button, .copy { border: 1px solid var(--sanad-accent); background: #ffffff;
  color: var(--sanad-accent-ink); border-radius: 8px; padding: 3px 12px; font-size: .9rem; }
.cite p { margin: 6px 0; }
.cite .doc-title { font-weight: 700; }
.cite .label { color: var(--sanad-muted); font-size: .85rem; font-weight: 700; }
.para { margin: 8px 0; padding: 8px 12px; background: #ffffff; border-inline-start: 4px solid var(--sanad-line);
  white-space: pre-wrap; overflow-wrap: anywhere; }
mark { background: #ffe58a; color: #000000; padding: 0 2px; border-radius: 3px; }
.translation { color: #1f2937; }
.meta { color: var(--sanad-muted); font-size: .88rem; }
.copied { margin-inline-start: 8px; color: #166534; font-size: .88rem; }
.status { min-height: 0; padding: 0 14px; color: #7c2d12; font-size: .92rem; }
.status:not(:empty) { padding: 6px 14px; background: #fff7ed; }
.composer { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-end; padding: 10px 12px;
  border-top: 1px solid var(--sanad-line); }
.composer label { flex-basis: 100%; font-size: .85rem; font-weight: 700; color: var(--sanad-muted); }
.composer .hint { flex-basis: 100%; margin: 0; font-size: .78rem; color: var(--sanad-muted); }
textarea { flex: 1; min-width: 0; resize: vertical; min-height: 2.6em; max-height: 9em; padding: 8px 10px;
  border: 1px solid #6b7280; border-radius: 8px; background: #ffffff; }
textarea[aria-invalid="true"] { border-color: #b91c1c; }
textarea:disabled { background: #f3f4f6; color: #4b5563; }
.send { background: var(--sanad-accent); color: #ffffff; border: 0; border-radius: 8px; padding: 9px 18px;
  font-weight: 700; }
.send:disabled { background: #6b7280; cursor: progress; }
.launcher { position: fixed; inset-block-end: 20px; inset-inline-end: 20px; z-index: 2147483000;
  background: var(--sanad-accent); color: #ffffff; border: 0; border-radius: 999px; padding: 12px 20px;
  font-weight: 700; box-shadow: 0 4px 14px rgba(0,0,0,.25); }
.root.launcher-mode .panel { position: fixed; inset-block-end: 80px; inset-inline-end: 20px;
  z-index: 2147483000; width: min(420px, calc(100vw - 24px)); height: min(640px, calc(100vh - 100px));
  box-shadow: 0 10px 30px rgba(0,0,0,.3); }
@media (max-width: 480px) {
  .root.launcher-mode .panel { inset-inline-end: 8px; inset-block-end: 72px; width: calc(100vw - 16px); }
  .msg { max-width: 100%; }
  .head { padding: 8px 10px; }
  .log { padding: 8px; }
}
`;

  let sheet = null;
  function styles(root) {
    // A constructed stylesheet is not inline style, so a page CSP without 'unsafe-inline' allows it.
    if ('adoptedStyleSheets' in Document.prototype && 'replaceSync' in CSSStyleSheet.prototype) {
      if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS + CLAIM_CSS); }
      root.adoptedStyleSheets = [sheet];
    } else if (SCRIPT_SRC) {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = SCRIPT_SRC.replace(/\.js(\?.*)?$/, '.css');
      root.appendChild(link);
    }
  }

  /** Create an element; attributes via setAttribute, children as nodes or plain text. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }

  const isArabic = (s) => ARABIC.test(s || '');
  const langOf = (s) => (isArabic(s) ? 'ar' : 'en');

  /** Append text, isolating numbers and Latin runs inside Arabic so they keep their order. */
  function appendText(parent, text) {
    if (!isArabic(text)) { parent.append(document.createTextNode(text)); return; }
    let last = 0;
    for (const m of text.matchAll(LATIN_OR_NUMBER)) {
      if (m.index > last) parent.append(document.createTextNode(text.slice(last, m.index)));
      parent.append(el('bdi', {}, m[0]));
      last = m.index + m[0].length;
    }
    if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
  }

  /** Replace a node's content with text, isolated as by appendText. */
  function setText(node, text) {
    node.replaceChildren();
    appendText(node, text);
  }

  /** Code points of a string, so server offsets (code points) index it even past the BMP. */
  const codePoints = (s) => Array.from(s);

  /** The paragraph (text between line breaks) around [start, end), split at the sentence. */
  function paragraphAround(cps, start, end) {
    let a = start;
    while (a > 0 && !LINE_BREAK.has(cps[a - 1])) a -= 1;
    let b = end;
    while (b < cps.length && !LINE_BREAK.has(cps[b])) b += 1;
    return {
      before: cps.slice(a, start).join('').replace(/^\s+/, ''),
      sentence: cps.slice(start, end).join(''),
      after: cps.slice(end, b).join('').replace(/\s+$/, ''),
    };
  }

  class SanadChat extends HTMLElement {
    static get observedAttributes() { return ['lang', 'title', 'mode', 'server', 'view']; }

    constructor() {
      super();
      this._shadow = this.attachShadow({ mode: 'open' });
      styles(this._shadow);
      this._history = [];
      this._docs = new Map();
      this._pending = null;
      this._built = false;
      this._openChip = null;
    }

    connectedCallback() {
      if (!this._built) this._build();
      this._applyStrings();
    }

    attributeChangedCallback() {
      if (this._built) this._applyStrings();
    }

    /** The interface language: the element's lang, else the page's, else English. */
    get uiLang() {
      const own = this.getAttribute('lang') || (this.parentElement && this.parentElement.closest('[lang]')
        ? this.parentElement.closest('[lang]').getAttribute('lang') : '') || document.documentElement.lang || '';
      return own.toLowerCase().startsWith('ar') ? 'ar' : 'en';
    }

    /** The server's base URL, without a trailing slash ('' means this page's origin). */
    get server() {
      const attr = this.getAttribute('server');
      if (attr !== null) return attr.trim().replace(/\/+$/, '');
      return SCRIPT_SRC.replace(/\/web\/sanad-widget\.js(\?.*)?$/, '');
    }

    get _t() { return STRINGS[this.uiLang]; }

    /** Ask a question as if the user had typed it and pressed Enter. */
    ask(question) {
      if (this._sending) return;
      this._showView('chat', false);
      this._input.value = question;
      this.open();
      this._submit();
    }

    /** Show the panel (launcher mode) and put focus in the question box. */
    open() {
      if (this._isLauncher) {
        this._panel.hidden = false;
        this._launcher.setAttribute('aria-expanded', 'true');
      }
      (this._claimView.hidden ? this._input : this._claimInput).focus();
    }

    /** Hide the panel (launcher mode) and return focus to the launcher button. */
    close() {
      if (!this._isLauncher) return;
      this._panel.hidden = true;
      this._launcher.setAttribute('aria-expanded', 'false');
      this._launcher.focus();
    }

    get _isLauncher() { return this.getAttribute('mode') === 'launcher'; }

    _build() {
      this._built = true;
      const uid = Math.random().toString(36).slice(2, 8);
      this._launcher = el('button', { type: 'button', class: 'launcher', 'aria-expanded': 'false',
        'aria-controls': `sanad-panel-${uid}` });
      this._launcher.addEventListener('click', () => (this._panel.hidden ? this.open() : this.close()));

      this._titleEl = el('h2', { id: `sanad-title-${uid}` });
      this._langBtn = el('button', { type: 'button', class: 'lang-toggle' });
      this._langBtn.addEventListener('click', () => {
        this.setAttribute('lang', this.uiLang === 'ar' ? 'en' : 'ar');
        this._langBtn.focus();
      });
      this._closeBtn = el('button', { type: 'button', class: 'close' });
      this._closeBtn.addEventListener('click', () => this.close());

      this._log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions',
        tabindex: '0' });
      this._welcome = el('p', { class: 'msg note' });
      this._log.append(this._welcome);

      this._cite = el('section', { class: 'cite', hidden: true, 'aria-live': 'polite' });
      this._status = el('div', { class: 'status', role: 'status', 'aria-live': 'polite', id: `sanad-status-${uid}` });

      this._label = el('label', { for: `sanad-q-${uid}` });
      this._input = el('textarea', { id: `sanad-q-${uid}`, rows: '2', name: 'question', autocomplete: 'off',
        'aria-describedby': `sanad-hint-${uid} sanad-status-${uid}`, enterkeyhint: 'send' });
      this._hint = el('p', { class: 'hint', id: `sanad-hint-${uid}` });
      this._send = el('button', { type: 'submit', class: 'send' });
      this._form = el('form', { class: 'composer', novalidate: true }, this._label, this._input, this._send, this._hint);
      this._form.addEventListener('submit', (e) => { e.preventDefault(); this._submit(); });
      this._input.addEventListener('keydown', (e) => this._onKey(e));
      this._input.addEventListener('input', () => {
        if (this._input.value.trim()) { this._input.removeAttribute('aria-invalid'); this._status.textContent = ''; }
      });

      this._chatBody = el('div', { class: 'body' }, this._log, this._cite);
      this._chatView = el('div', { class: 'view chat-view' }, this._chatBody, this._status, this._form);
      this._claimBuild(uid); // the "check a claim" tab: this._tabs, this._claimView
      this._panel = el('section', { class: 'panel', id: `sanad-panel-${uid}`, 'aria-labelledby': `sanad-title-${uid}` },
        el('div', { class: 'head' }, this._titleEl, this._langBtn, this._closeBtn),
        this._tabs, this._chatView, this._claimView);
      this._panel.addEventListener('keydown', (e) => {
        if (e.key !== 'Escape') return;
        if (!this._cite.hidden) { e.preventDefault(); this._closeCitation(); } else if (this._isLauncher) { e.preventDefault(); this.close(); }
      });
      this._root = el('div', { class: 'root' }, this._launcher, this._panel);
      this._shadow.append(this._root);
    }

    _applyStrings() {
      const t = this._t;
      const launcher = this._isLauncher;
      this._root.setAttribute('dir', t.dir);
      this._root.setAttribute('lang', this.uiLang);
      this._root.classList.toggle('launcher-mode', launcher);
      this._launcher.hidden = !launcher;
      this._closeBtn.hidden = !launcher;
      if (launcher && this._launcher.getAttribute('aria-expanded') !== 'true') this._panel.hidden = true;
      if (!launcher) this._panel.hidden = false;
      const title = this.getAttribute('title') || t.title;
      this._titleEl.textContent = title;
      this._launcher.textContent = title;
      this._langBtn.textContent = t.switchTo;
      this._langBtn.setAttribute('lang', this.uiLang === 'ar' ? 'en' : 'ar');
      this._langBtn.setAttribute('aria-label', t.switchLabel);
      this._closeBtn.textContent = t.close;
      this._log.setAttribute('aria-label', t.conversation);
      setText(this._welcome, t.welcome);
      this._welcome.setAttribute('dir', t.dir);
      this._label.textContent = t.label;
      this._input.placeholder = t.placeholder;
      this._input.setAttribute('dir', 'auto');
      this._send.textContent = t.send;
      setText(this._hint, t.hint);
      this._claimApplyStrings();
      if (this._citeData) this._renderCitation(...this._citeData);
    }

    _onKey(e) {
      // Enter sends; Shift+Enter is a new line; never send in the middle of an IME composition.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        this._submit();
      }
    }

    _submit() {
      if (this._sending) return;
      const question = this._input.value.trim();
      if (!question) {
        this._input.setAttribute('aria-invalid', 'true');
        this._status.textContent = this._t.empty;
        this._input.focus();
        return;
      }
      this._input.removeAttribute('aria-invalid');
      this._status.textContent = '';
      this._addUser(question);
      this._input.value = '';
      this._pending = { question, history: this._history.slice(-HISTORY_MESSAGES) };
      this._sendPending();
    }

    async _sendPending() {
      const req = this._pending;
      // Give focus back to the question box if it was in the composer (disabling drops it).
      const active = this._shadow.activeElement;
      const hadFocus = active === this._input || active === this._send;
      this._setSending(true);
      const loading = el('p', { class: 'msg bot loading', dir: this._t.dir, lang: this.uiLang }, this._t.sending);
      this._log.append(loading);
      this._scroll();
      let data;
      let failure = null;
      let retryable = true;
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
      try {
        const res = await fetch(`${this.server}/v1/chat`, {
          method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ question: req.question, history: req.history }), signal: abort.signal,
        });
        const body = await res.json().catch(() => null);
        if (!res.ok || !body || typeof body.answer !== 'string') {
          const message = body && body.error && body.error.message ? String(body.error.message) : `HTTP ${res.status}`;
          failure = `${this._t.serverError}: ${message}`;
          // A rejected question (4xx) fails the same way again: offer it back for editing instead.
          retryable = !(res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429);
        } else {
          data = body;
        }
      } catch (err) {
        failure = err && err.name === 'AbortError' ? this._t.timeout : this._t.networkError;
      } finally {
        clearTimeout(timer);
      }
      loading.remove();
      this._setSending(false);
      if (failure) {
        this._addError(failure, retryable);
        if (!retryable && !this._input.value) this._input.value = req.question;
      } else {
        this._pending = null;
        this._history.push({ role: 'user', content: req.question }, { role: 'assistant', content: data.answer });
        this._addAnswer(data);
      }
      if (hadFocus) this._input.focus();
    }

    _setSending(on) {
      this._sending = on;
      this._input.disabled = on;
      this._send.disabled = on;
      this._log.setAttribute('aria-busy', on ? 'true' : 'false');
      this._root.toggleAttribute('data-sending', on);
    }

    _scroll() { this._log.scrollTop = this._log.scrollHeight; }

    // Messages are dir="auto": the direction comes from their text. Labels are <bdi> (and the
    // answer paragraph carries no dir) because dir="auto" skips exactly those when it decides.
    _addUser(text) {
      const msg = el('div', { class: 'msg user', dir: 'auto', lang: langOf(text) },
        el('bdi', { class: 'who', lang: this.uiLang }, this._t.you));
      const body = el('p', { class: 'answer' });
      appendText(body, text);
      msg.append(body);
      this._log.append(msg);
      this._scroll();
    }

    _addError(message, retryable) {
      const text = el('span', { class: 'error-text' });
      appendText(text, message);
      const msg = el('div', { class: 'msg error', role: 'alert', dir: this._t.dir, lang: this.uiLang }, text);
      this._log.append(msg);
      this._scroll();
      if (!retryable) { this._pending = null; return; }
      const retry = el('button', { type: 'button', class: 'retry' }, this._t.retry);
      msg.append(retry);
      retry.addEventListener('click', () => {
        msg.remove();
        this._sendPending();
      });
    }

    /** The answer: text with clickable [n] markers, then chips (sources, or closest passages). */
    _addAnswer(data) {
      const lang = data.language === 'ar' ? 'ar' : 'en';
      const t = STRINGS[lang];
      const cites = Array.isArray(data.citations) ? data.citations : [];
      const msg = el('div', { class: `msg bot${data.answerable ? '' : ' abstain'}`, dir: 'auto', lang,
        'data-answerable': data.answerable ? 'true' : 'false' },
        el('bdi', { class: 'who' }, t.sanad));
      if (!data.answerable) msg.append(el('span', { class: 'badge' }, t.notInArticle), document.createElement('br'));
      const chipsFor = new Map();
      const answer = el('p', { class: 'answer' });
      let last = 0;
      for (const m of data.answer.matchAll(MARKER)) {
        appendText(answer, data.answer.slice(last, m.index));
        const n = Number(m[1]);
        const c = cites.find((x) => x.n === n);
        if (c) {
          const marker = el('button', { type: 'button', class: 'marker', 'data-marker': n,
            'aria-label': `${t.citation} ${n}` }, `[${n}]`);
          marker.addEventListener('click', () => this._openCitation(c, chipsFor.get(n) || marker));
          answer.append(marker);
        } else {
          answer.append(el('bdi', {}, m[0]));
        }
        last = m.index + m[0].length;
      }
      appendText(answer, data.answer.slice(last));
      msg.append(answer);
      if (cites.length) {
        const labelId = `l-${Math.random().toString(36).slice(2, 8)}`;
        msg.append(el('span', { class: 'chips-label', id: labelId },
          data.answerable ? t.sources : t.closest));
        const list = el('ul', { class: 'chips', 'aria-labelledby': labelId });
        for (const c of cites) {
          const snippet = String(c.text || '');
          const chip = el('button', { type: 'button', class: `chip${data.answerable ? '' : ' closest'}`,
            'data-citation': c.id, 'aria-expanded': 'false', title: snippet,
            'aria-label': `${data.answerable ? t.citation : t.closest} ${c.n}: ${snippet}` },
            el('span', { class: 'n' }, `[${c.n}]`),
            el('span', { class: 'snip', dir: 'auto', lang: langOf(snippet) }, snippet));
          chip.addEventListener('click', () => this._openCitation(c, chip));
          chipsFor.set(c.n, chip);
          list.append(el('li', {}, chip));
        }
        msg.append(list);
      }
      this._log.append(msg);
      this._scroll();
    }

    async _document(docId) {
      if (!this._docs.has(docId)) {
        const p = fetch(`${this.server}/v1/documents/${encodeURIComponent(docId)}`, { headers: { Accept: 'application/json' } })
          .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
          // The API sends the verbatim text as `raw` (older drafts called it `text`).
          .then((d) => ({ ...d, cps: codePoints(String(d.raw ?? d.text ?? '')) }));
        p.catch(() => this._docs.delete(docId)); // a failure is not cached: the next click retries
        this._docs.set(docId, p);
      }
      return this._docs.get(docId);
    }

    async _openCitation(c, chip) {
      if (this._openChip) this._openChip.setAttribute('aria-expanded', 'false');
      this._openChip = chip;
      chip.setAttribute('aria-expanded', 'true');
      let doc = null;
      try { doc = await this._document(c.doc_id); } catch (_) { doc = null; }
      this._renderCitation(c, doc, true);
      this.dispatchEvent(new CustomEvent('sanad-citation', { bubbles: true, composed: true,
        detail: { id: c.id, doc_id: c.doc_id, start: c.start, end: c.end } }));
    }

    _renderCitation(c, doc, focus) {
      this._citeData = [c, doc, false];
      const t = this._t;
      const cite = this._cite;
      cite.replaceChildren();
      cite.setAttribute('dir', t.dir);
      cite.setAttribute('lang', this.uiLang);
      cite.setAttribute('data-open-citation', c.id);
      const heading = el('h3', { tabindex: '-1' }, `${t.citation} `, el('bdi', {}, `[${c.n}]`));
      const closeBtn = el('button', { type: 'button', class: 'cite-close', 'aria-label': t.closeCitation }, t.close);
      closeBtn.addEventListener('click', () => this._closeCitation());
      cite.setAttribute('aria-label', `${t.citation} ${c.n}`);
      cite.append(el('div', { class: 'cite-head' }, heading, closeBtn));

      const docLang = c.language || (doc && doc.language) || langOf(c.text);
      const title = c.title || (doc && doc.title);
      if (title) { // the cited document: its title (a link when it has one, http(s) only) and date
        const url = String(c.url || (doc && doc.url) || '');
        const date = c.date || (doc && doc.date);
        const p = el('p', { class: 'doc-title', dir: 'auto', lang: docLang },
          /^https?:\/\//i.test(url) ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, String(title)) : String(title));
        if (date) p.append(' · ', el('time', { class: 'doc-date', datetime: String(date) }, String(date)));
        cite.append(p);
      }
      const section = c.section || (doc ? this._sectionOf(doc, c.start) : null);
      if (section) {
        const p = el('p', { class: 'section' }, el('span', { class: 'label' }, `${t.section}: `));
        p.append(el('bdi', { lang: docLang }, section));
        cite.append(p);
      }
      const para = el('blockquote', { class: 'para', dir: 'auto', lang: docLang });
      let parts = null;
      if (doc && doc.cps) {
        parts = paragraphAround(doc.cps, c.start, c.end);
        if (parts.sentence !== c.text) parts = null; // the article changed since the answer
      }
      if (parts) {
        appendText(para, parts.before);
        const mark = el('mark', {});
        appendText(mark, parts.sentence);
        para.append(mark);
        appendText(para, parts.after);
      } else {
        const mark = el('mark', {});
        appendText(mark, String(c.text || ''));
        para.append(mark);
        cite.append(el('p', { class: 'meta' }, t.docUnavailable));
      }
      cite.append(para);
      if (c.translation) {
        cite.append(el('p', { class: 'label' }, t.translation),
          el('p', { class: 'translation', lang: 'en', dir: 'ltr' }, String(c.translation)));
      }
      const score = typeof c.score === 'number' ? c.score.toFixed(3) : String(c.score);
      cite.append(el('p', { class: 'meta' }, `${t.passage} `, el('bdi', { class: 'pid' }, c.id),
        ` · ${t.score} `, el('bdi', { class: 'score' }, score)));
      const copied = el('span', { class: 'copied', role: 'status' });
      const copy = el('button', { type: 'button', class: 'copy' }, t.copy);
      copy.addEventListener('click', () => this._copy(c, copied));
      cite.append(el('p', {}, copy, copied));
      cite.hidden = false;
      if (focus) heading.focus();
    }

    _sectionOf(doc, start) {
      let found = null;
      for (const h of doc.headings || []) if (h.end <= start) found = doc.cps.slice(h.start, h.end).join('');
      return found;
    }

    _closeCitation() {
      this._cite.hidden = true;
      this._cite.replaceChildren();
      this._citeData = null;
      const chip = this._openChip;
      this._openChip = null;
      if (chip) { chip.setAttribute('aria-expanded', 'false'); if (chip.isConnected) chip.focus(); }
    }

    async _copy(c, status) {
      const text = `«${c.text}» (${c.id})`;
      let ok = false;
      try {
        await navigator.clipboard.writeText(text);
        ok = true;
      } catch (_) {
        // No async clipboard (insecure origin, no permission): fall back to a selection copy.
        const area = el('textarea', { readonly: true, 'aria-hidden': 'true' });
        area.value = text;
        this._cite.append(area);
        area.select();
        try { ok = document.execCommand('copy'); } catch (__) { ok = false; }
        area.remove();
      }
      status.textContent = ok ? this._t.copied : this._t.copyFailed;
      this._lastCopied = ok ? text : null;
    }
  }

  // ------------------------------------------------------------------------------ claim mode
  // The "Check a claim" tab: POST /v1/verify {claim}, then the verdict, the claim and each
  // evidence sentence with its citation. Spans that support or contradict the claim are <mark>s
  // that differ by underline style and a ✓/✗ sign, not by colour alone, and every span is also
  // spelled out in words ("contradicts (ordinal): “largest” vs “third-largest”").

  const VERDICTS = ['supported', 'contradicted', 'not_enough_info'];
  const STANCES = ['supports', 'contradicts', 'neutral'];
  const WORD_CHAR = /[\p{L}\p{M}]/u;
  const SIGN = { supported: '✓', contradicted: '✗', supports: '✓', contradicts: '✗', neutral: '–' };

  const CLAIM_STRINGS = {
    en: {
      tabs: 'Mode', tabChat: 'Chat', tabClaim: 'Check a claim', unknown: '?',
      label: 'Claim to check', placeholder: 'Paste a claim in Arabic or English…', check: 'Check',
      checking: 'Checking the claim against the article…',
      hint: 'Enter checks, Shift+Enter adds a line.',
      intro: 'Paste a claim in Arabic or English: Sanad finds the sentences of the article that support or contradict it and marks the words that decide.',
      empty: 'Please paste a claim first — for example: “Qatar is the largest customer of US defence systems.”',
      verdicts: { supported: 'Supported by the article', contradicted: 'Contradicted by the article',
        not_enough_info: 'Not enough information in the article' },
      claim: 'The claim', evidence: 'Evidence from the article',
      noEvidence: 'No sentence of the article is close enough to this claim.',
      stances: { supports: 'Supports the claim', contradicts: 'Contradicts the claim',
        neutral: 'Related, but neither supports nor contradicts it' },
      span: { supports: 'supports', contradicts: 'contradicts', missing: 'not stated here' },
      sameWords: 'same words', comma: ', ',
      kinds: { number: 'number', date: 'date', ordinal: 'ordinal', name: 'name', negation: 'negation', term: 'term' },
      vs: 'vs', same: 'matches', inTranslation: 'in the translation', q: ['“', '”'],
      document: 'Document', passage: 'sentence', offsets: 'characters', score: 'score',
      translation: 'English translation', open: 'Show in its paragraph',
      badResponse: 'The server sent an answer this widget does not understand',
    },
    ar: {
      tabs: 'الوضع', tabChat: 'المحادثة', tabClaim: 'تحقّق من ادعاء', unknown: '؟',
      label: 'الادعاء المراد التحقق منه', placeholder: 'الصق ادعاءً بالعربية أو الإنجليزية…', check: 'تحقّق',
      checking: 'جارٍ التحقق من الادعاء في المقال…',
      hint: 'زر Enter يتحقق، وShift+Enter يضيف سطرًا.',
      intro: 'الصق ادعاءً بالعربية أو الإنجليزية، فيجد سند جمل المقال التي تؤيّده أو تناقضه ويميّز الكلمات الحاسمة.',
      empty: 'الصق ادعاءً أولًا — مثلًا: «قطر أكبر عميل للأنظمة الدفاعية الأميركية».',
      verdicts: { supported: 'يؤيّده المقال', contradicted: 'يناقضه المقال',
        not_enough_info: 'لا تكفي معلومات المقال للحكم' },
      claim: 'الادعاء', evidence: 'الأدلة من المقال',
      noEvidence: 'لا توجد في المقال جملة قريبة بما يكفي من هذا الادعاء.',
      stances: { supports: 'تؤيّد الادعاء', contradicts: 'تناقض الادعاء',
        neutral: 'ذات صلة، لكنها لا تؤيّده ولا تناقضه' },
      span: { supports: 'يؤيّد', contradicts: 'يناقض', missing: 'غير مذكور هنا' },
      sameWords: 'كلمات مشتركة', comma: '، ',
      kinds: { number: 'عدد', date: 'تاريخ', ordinal: 'ترتيب', name: 'اسم', negation: 'نفي', term: 'مصطلح' },
      vs: 'مقابل', same: 'يطابق', inTranslation: 'في الترجمة', q: ['«', '»'],
      document: 'المستند', passage: 'الجملة', offsets: 'المحارف', score: 'الدرجة',
      translation: 'الترجمة الإنجليزية', open: 'اعرضها في فقرتها',
      badResponse: 'أرسل الخادم ردًّا لا تفهمه هذه الأداة',
    },
  };

  const CLAIM_CSS = `
.view { display: flex; flex-direction: column; flex: 1 1 0; min-height: 0; }
.tabs { display: flex; gap: 4px; padding: 6px 10px 0; background: #eef2f7; border-bottom: 1px solid var(--sanad-line); }
.tab { border: 1px solid transparent; border-bottom: 0; background: transparent; color: var(--sanad-muted);
  border-radius: 8px 8px 0 0; padding: 5px 14px; font-size: .92rem; font-weight: 600; margin-bottom: -1px; }
.tab:hover { color: var(--sanad-accent-ink); background: #f8fafc; }
/* The selected tab: a top bar, a border joined to the panel and bold text, not colour alone. */
.tab[aria-selected="true"] { background: var(--sanad-bg); color: var(--sanad-accent-ink); font-weight: 800;
  border-color: var(--sanad-line); box-shadow: inset 0 3px 0 var(--sanad-accent); }
.claim-log { flex: 1 1 auto; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 10px; }
.claim-status { min-height: 0; padding: 0 14px; color: #7c2d12; font-size: .92rem; }
.claim-status:not(:empty) { padding: 6px 14px; background: #fff7ed; }
.check { background: var(--sanad-accent); color: #ffffff; border: 0; border-radius: 8px; padding: 9px 18px;
  font-weight: 700; }
.check:disabled { background: #6b7280; cursor: progress; }
.claim-result { display: flex; flex-direction: column; gap: 6px; }
.claim-result .label { display: block; margin: 6px 0 0; color: var(--sanad-muted); font-size: .85rem; font-weight: 700; }
.sign { font-weight: 800; unicode-bidi: isolate; }
.verdict { display: flex; align-items: center; gap: 8px; margin: 0; padding: 6px 12px; border-radius: 10px;
  font-size: 1.05rem; font-weight: 700; border: 2px solid; }
.verdict .sign { font-size: 1.2rem; }
.verdict.v-supported { background: #f0fdf4; border-color: #166534; border-style: solid; color: #14532d; }
.verdict.v-contradicted { background: #fef2f2; border-color: #b91c1c; border-style: double; border-width: 4px; color: #7f1d1d; }
.verdict.v-not_enough_info { background: #fffbeb; border-color: #92400e; border-style: dashed; color: #5c3300; }
.claim-text, .ev-text { margin: 0; padding: 6px 12px; background: #ffffff; border-inline-start: 4px solid var(--sanad-line);
  white-space: pre-wrap; overflow-wrap: anywhere; }
.claim-text { background: #f8fafc; }
.evidence { margin: 0; padding: 0; list-style: none; display: flex; flex-direction: column; gap: 10px; }
.ev { border: 1px solid var(--sanad-line); border-radius: 10px; padding: 8px 10px; background: #fbfcfe; }
.ev[data-stance="supports"] .ev-text { border-inline-start-color: #166534; }
.ev[data-stance="contradicts"] .ev-text { border-inline-start-color: #b91c1c; border-inline-start-style: double; border-inline-start-width: 6px; }
.stance { margin: 0 0 4px; font-size: .88rem; font-weight: 700; }
.stance.s-supports { color: #14532d; }
.stance.s-contradicts { color: #7f1d1d; }
.stance.s-neutral { color: var(--sanad-muted); }
.ev-translation { margin: 0; color: #1f2937; font-size: .94rem; }
/* Marked spans: supports = solid underline and ✓, contradicts = wavy underline and ✗. */
mark.span { color: #000000; padding: 0 2px; border-radius: 3px; text-decoration-line: underline;
  text-decoration-thickness: 2px; text-underline-offset: 4px; text-decoration-skip-ink: none; }
mark.span[data-stance="supports"] { background: #d1fae5; text-decoration-style: solid; text-decoration-color: #166534; }
mark.span[data-stance="contradicts"] { background: #fde2e2; text-decoration-style: wavy; text-decoration-color: #b91c1c; }
mark.span::after { font-size: .75em; font-weight: 800; vertical-align: super; line-height: 1; margin-inline-start: 1px; }
mark.span[data-stance="missing"] { background: #fef3c7; text-decoration-style: dotted; text-decoration-color: #92400e; }
mark.span[data-kind="term"] { background: transparent; text-decoration-thickness: 1px; padding: 0; }
mark.span[data-stance="supports"]:not([data-kind="term"])::after { content: "✓" / ""; color: #166534; }
mark.span[data-stance="missing"]::after { content: "?" / ""; color: #92400e; }
mark.span[data-stance="contradicts"]::after { content: "✗" / ""; color: #b91c1c; }
.why { margin: 6px 0 0; padding-inline-start: 0; list-style: none; font-size: .88rem; }
.why li { margin: 2px 0; }
.why li[data-stance="supports"] .sign { color: #166534; }
.why li[data-stance="contradicts"] .sign { color: #b91c1c; }
/* Server reasons may be in the other script: their own direction, aligned with the interface. */
.why .reason { display: block; color: var(--sanad-muted); text-align: match-parent; }
.why li[data-stance="missing"] .sign { color: #92400e; }
.explanation { margin: 0; color: var(--sanad-muted); font-size: .88rem; text-align: match-parent; }
.ev-cite { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 6px; margin: 6px 0 0; }
.ev-cite .chip { font-size: .82rem; }
`;

  /** Append text; numbers and Latin runs are isolated when the surrounding text is Arabic. */
  function appendIsolated(parent, text, arabic) {
    if (!arabic || isArabic(text)) { appendText(parent, text); return; }
    let last = 0;
    for (const m of text.matchAll(LATIN_OR_NUMBER)) {
      if (m.index > last) parent.append(document.createTextNode(text.slice(last, m.index)));
      parent.append(el('bdi', {}, m[0]));
      last = m.index + m[0].length;
    }
    if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
  }

  /**
   * Append text with spans marked. Spans are {start, end, text, stance, kind, title, whyId} in
   * code points of `text` (the server's offsets), so they hold past the BMP (emoji) too; a span
   * whose text does not match (the offsets are stale) or that overlaps an earlier one is left
   * unmarked: its explanation is still listed in words. A span that starts or ends inside a word
   * is widened to the whole word: a mark's edge inside an Arabic word would break the joining of
   * its letters (الأميركية drawn as ال أميركية).
   */
  function appendMarked(parent, text, spans) {
    const cps = codePoints(text);
    const arabic = isArabic(text);
    const fits = spans.filter((s) => Number.isInteger(s.start) && Number.isInteger(s.end)
      && s.start >= 0 && s.start < s.end && s.end <= cps.length
      && (typeof s.text !== 'string' || cps.slice(s.start, s.end).join('') === s.text))
      .map((s) => {
        let { start, end } = s;
        while (start > 0 && WORD_CHAR.test(cps[start - 1]) && WORD_CHAR.test(cps[start])) start -= 1;
        while (end < cps.length && WORD_CHAR.test(cps[end - 1]) && WORD_CHAR.test(cps[end])) end += 1;
        return { ...s, start, end };
      });
    // Earlier first; at one start, the stronger signal (a contradiction, a fact, a missing fact,
    // a shared word), then the longer span.
    fits.sort((a, b) => a.start - b.start || rank(a) - rank(b) || b.end - a.end);
    let pos = 0;
    for (const s of fits) {
      if (s.start < pos) continue;
      if (s.start > pos) appendIsolated(parent, cps.slice(pos, s.start).join(''), arabic);
      const mark = el('mark', { class: 'span', 'data-stance': s.stance, 'data-kind': s.kind,
        title: s.title, 'aria-describedby': s.whyId });
      appendIsolated(mark, cps.slice(s.start, s.end).join(''), arabic);
      parent.append(mark);
      pos = s.end;
    }
    if (pos < cps.length) appendIsolated(parent, cps.slice(pos).join(''), arabic);
  }

  function rank(span) {
    if (span.stance === 'contradicts') return 0;
    if (span.stance === 'supports') return span.kind === 'term' ? 3 : 1;
    return 2;
  }

  /** A quoted piece of server text, isolated so its direction does not disturb the sentence. */
  const quoted = (t, text) => [t.q[0], el('bdi', { lang: langOf(text) }, text), t.q[1]];

  /** Methods of <sanad-chat> for the tabs and the claim view (mixed into its prototype). */
  const ClaimMode = {
    /** Public: check a claim as if the reader had pasted it and pressed Enter. */
    checkClaim(claim) {
      if (this._claimBusy) return;
      this._showView('claim', false);
      this._claimInput.value = claim;
      this.open();
      this._claimSubmit();
    },

    _claimBuild(uid) {
      this._uid = uid;
      this._tabChat = el('button', { type: 'button', role: 'tab', class: 'tab', 'data-view': 'chat',
        id: `sanad-tab-chat-${uid}`, 'aria-controls': `sanad-view-chat-${uid}`, 'aria-selected': 'true', tabindex: '0' });
      this._tabClaim = el('button', { type: 'button', role: 'tab', class: 'tab', 'data-view': 'claim',
        id: `sanad-tab-claim-${uid}`, 'aria-controls': `sanad-view-claim-${uid}`, 'aria-selected': 'false', tabindex: '-1' });
      this._tabs = el('div', { class: 'tabs', role: 'tablist' }, this._tabChat, this._tabClaim);
      for (const tab of [this._tabChat, this._tabClaim]) {
        tab.addEventListener('click', () => this._showView(tab.dataset.view, true));
      }
      this._tabs.addEventListener('keydown', (e) => this._onTabKey(e));
      this._chatView.id = `sanad-view-chat-${uid}`;
      this._chatView.setAttribute('role', 'tabpanel');
      this._chatView.setAttribute('aria-labelledby', this._tabChat.id);
      // Filled on first use, so a page that never checks a claim has one question box only.
      this._claimView = el('div', { class: 'view claim-view', role: 'tabpanel', id: `sanad-view-claim-${uid}`,
        'aria-labelledby': this._tabClaim.id, hidden: true });
    },

    /** Arrow keys move between the tabs (mirrored right to left), Home and End to the ends. */
    _onTabKey(e) {
      const tabs = [this._tabChat, this._tabClaim];
      const at = tabs.indexOf(this._shadow.activeElement);
      if (at < 0) return;
      const rtl = getComputedStyle(this._tabs).direction === 'rtl';
      const step = { ArrowRight: rtl ? -1 : 1, ArrowLeft: rtl ? 1 : -1 }[e.key];
      let next = null;
      if (step) next = tabs[(at + step + tabs.length) % tabs.length];
      else if (e.key === 'Home') next = tabs[0];
      else if (e.key === 'End') next = tabs[tabs.length - 1];
      if (!next) return;
      e.preventDefault();
      this._showView(next.dataset.view, true);
    },

    _claimEnsure() {
      if (this._claimInput) return;
      const uid = this._uid;
      this._claimIntro = el('p', { class: 'msg note claim-intro' });
      this._claimOut = el('div', { class: 'claim-out', 'aria-live': 'polite' });
      this._claimLog = el('div', { class: 'claim-log', tabindex: '0' }, this._claimIntro, this._claimOut);
      this._claimBody = el('div', { class: 'body' }, this._claimLog);
      this._claimStatus = el('div', { class: 'claim-status', role: 'status', 'aria-live': 'polite',
        id: `sanad-claim-status-${uid}` });
      this._claimLabel = el('label', { for: `sanad-claim-${uid}` });
      this._claimInput = el('textarea', { id: `sanad-claim-${uid}`, rows: '2', name: 'claim', autocomplete: 'off',
        dir: 'auto', 'aria-describedby': `sanad-claim-hint-${uid} sanad-claim-status-${uid}`, enterkeyhint: 'done' });
      this._claimHint = el('p', { class: 'hint', id: `sanad-claim-hint-${uid}` });
      this._claimSend = el('button', { type: 'submit', class: 'check' });
      const form = el('form', { class: 'composer claim-form', novalidate: true },
        this._claimLabel, this._claimInput, this._claimSend, this._claimHint);
      form.addEventListener('submit', (e) => { e.preventDefault(); this._claimSubmit(); });
      this._claimInput.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
          e.preventDefault();
          this._claimSubmit();
        }
      });
      this._claimInput.addEventListener('input', () => {
        if (this._claimInput.value.trim()) {
          this._claimInput.removeAttribute('aria-invalid');
          this._claimStatus.textContent = '';
        }
      });
      this._claimView.append(this._claimBody, this._claimStatus, form);
      this._claimApplyStrings();
    },

    /** Show the chat or the claim view; the open citation closes (it belongs to the other). */
    _showView(view, focusTab) {
      if (!this._built) return;
      const claim = view === 'claim';
      if (claim) this._claimEnsure();
      const tab = claim ? this._tabClaim : this._tabChat;
      if (claim === this._chatView.hidden) { if (focusTab) tab.focus(); return; }
      if (!this._cite.hidden) {
        this._cite.hidden = true;
        this._cite.replaceChildren();
        this._citeData = null;
        if (this._openChip) this._openChip.setAttribute('aria-expanded', 'false');
        this._openChip = null;
      }
      // One citation view serves both: it covers the body of the view in use.
      (claim ? this._claimBody : this._chatBody).append(this._cite);
      this._chatView.hidden = claim;
      this._claimView.hidden = !claim;
      for (const t of [this._tabChat, this._tabClaim]) {
        t.setAttribute('aria-selected', t === tab ? 'true' : 'false');
        t.setAttribute('tabindex', t === tab ? '0' : '-1');
      }
      if (focusTab) tab.focus();
    },

    _claimApplyStrings() {
      const t = CLAIM_STRINGS[this.uiLang];
      this._tabs.setAttribute('aria-label', t.tabs);
      this._tabChat.textContent = t.tabChat;
      this._tabClaim.textContent = t.tabClaim;
      const want = this.getAttribute('view') === 'claim' ? 'claim' : 'chat';
      if (this._viewAttr !== want) { this._viewAttr = want; this._showView(want, false); }
      if (!this._claimInput) return;
      setText(this._claimIntro, t.intro);
      this._claimIntro.setAttribute('dir', this._t.dir);
      this._claimLabel.textContent = t.label;
      this._claimInput.placeholder = t.placeholder;
      this._claimSend.textContent = t.check;
      setText(this._claimHint, t.hint);
      if (this._claimData) this._claimRender();
    },

    _claimSubmit() {
      if (this._claimBusy) return;
      const claim = this._claimInput.value.trim();
      if (!claim) {
        this._claimInput.setAttribute('aria-invalid', 'true');
        this._claimStatus.textContent = CLAIM_STRINGS[this.uiLang].empty;
        this._claimInput.focus();
        return;
      }
      this._claimInput.removeAttribute('aria-invalid');
      this._claimStatus.textContent = '';
      this._claimRequest(claim);
    },

    async _claimRequest(claim) {
      const t = CLAIM_STRINGS[this.uiLang];
      const active = this._shadow.activeElement;
      const hadFocus = active === this._claimInput || active === this._claimSend;
      this._claimSetBusy(true);
      this._claimData = null;
      this._claimOut.replaceChildren(el('p', { class: 'msg bot loading', dir: this._t.dir, lang: this.uiLang }, t.checking));
      let failure = null;
      let retryable = true;
      let data = null;
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
      try {
        const res = await fetch(`${this.server}/v1/verify`, {
          method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ claim }), signal: abort.signal,
        });
        const body = await res.json().catch(() => null);
        if (!res.ok) {
          const message = body && body.error && body.error.message ? String(body.error.message) : `HTTP ${res.status}`;
          failure = `${this._t.serverError}: ${message}`;
          retryable = !(res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429);
        } else if (!body || !VERDICTS.includes(body.verdict) || !Array.isArray(body.evidence)) {
          failure = t.badResponse;
          retryable = false;
        } else {
          data = body;
        }
      } catch (err) {
        failure = err && err.name === 'AbortError' ? this._t.timeout : this._t.networkError;
      } finally {
        clearTimeout(timer);
      }
      this._claimSetBusy(false);
      if (failure) this._claimError(failure, retryable ? claim : null);
      else { this._claimData = data; this._claimRender(); }
      if (hadFocus) this._claimInput.focus();
    },

    _claimSetBusy(on) {
      this._claimBusy = on;
      this._claimInput.disabled = on;
      this._claimSend.disabled = on;
      this._claimLog.setAttribute('aria-busy', on ? 'true' : 'false');
    },

    _claimError(message, retryClaim) {
      const text = el('span', { class: 'error-text' });
      appendText(text, message);
      const msg = el('div', { class: 'msg error', role: 'alert', dir: this._t.dir, lang: this.uiLang }, text);
      if (retryClaim !== null) {
        const retry = el('button', { type: 'button', class: 'retry' }, this._t.retry);
        retry.addEventListener('click', () => this._claimRequest(retryClaim));
        msg.append(retry);
      }
      this._claimOut.replaceChildren(msg);
    },

    /** The verdict, the claim with its spans marked, and the evidence (rendered again on a language switch). */
    _claimRender() {
      const data = this._claimData;
      const t = CLAIM_STRINGS[this.uiLang];
      const uid = Math.random().toString(36).slice(2, 8);
      const verdict = data.verdict;
      const claimText = String(data.claim ?? '');
      const claimSpans = [];
      const seen = new Set();
      const list = el('ol', { class: 'evidence', 'aria-labelledby': `sanad-ev-${uid}` });
      data.evidence.forEach((ev, i) => {
        const item = this._claimEvidence(ev, i + 1, `${uid}-${i}`, t);
        list.append(item.node);
        for (const s of item.claimSpans) {
          const key = `${s.start}:${s.end}:${s.stance}`;
          if (!seen.has(key)) { seen.add(key); claimSpans.push(s); }
        }
      });

      const result = el('article', { class: 'claim-result', 'data-verdict': verdict, dir: this._t.dir,
        lang: this.uiLang, 'aria-labelledby': `sanad-verdict-${uid}` });
      result.append(el('p', { class: `verdict v-${verdict}`, id: `sanad-verdict-${uid}` },
        el('span', { class: 'sign', 'aria-hidden': 'true' }, SIGN[verdict] || t.unknown),
        el('span', { class: 'verdict-text' }, t.verdicts[verdict])));
      if (data.explanation) {
        const why = String(data.explanation);
        result.append(el('p', { class: 'explanation', dir: 'auto', lang: langOf(why) }, why));
      }
      result.append(el('span', { class: 'label' }, t.claim));
      const claimNode = el('blockquote', { class: 'claim-text', dir: 'auto', lang: langOf(claimText) });
      appendMarked(claimNode, claimText, claimSpans);
      result.append(claimNode, el('span', { class: 'label', id: `sanad-ev-${uid}` }, t.evidence));
      result.append(data.evidence.length ? list : el('p', { class: 'meta no-evidence' }, t.noEvidence));
      this._claimOut.replaceChildren(result);
      this._claimIntro.hidden = true; // the result needs the room; the tab's label says what it is
      this._claimLog.scrollTop = 0;
    },

    /** One evidence sentence: stance, sentence and translation with marks, spans in words, citation. */
    _claimEvidence(ev, n, key, t) {
      const stance = STANCES.includes(ev.stance) ? ev.stance : 'neutral';
      const text = String(ev.text ?? '');
      const translation = typeof ev.translation === 'string' ? ev.translation : '';
      const node = el('li', { class: 'ev', 'data-passage': ev.id, 'data-stance': stance, 'data-n': n });
      node.append(el('p', { class: `stance s-${stance}` },
        el('span', { class: 'sign', 'aria-hidden': 'true' }, SIGN[stance]), ' ', t.stances[stance]));

      const why = el('ul', { class: 'why' });
      const inSource = [];
      const inTranslation = [];
      const claimSpans = [];
      let k = 0;
      const place = (mark, c, p) => {
        if (c) claimSpans.push({ ...mark, start: c.start, end: c.end, text: c.text });
        if (!p) return;
        if (p.in === 'translation') inTranslation.push({ ...mark, start: p.start, end: p.end, text: p.text });
        // Document offsets; the sentence starts at ev.start.
        else inSource.push({ ...mark, start: p.start - ev.start, end: p.end - ev.start, text: p.text });
      };
      const facts = [];
      const terms = [];
      for (const stance of ['contradicts', 'supports', 'missing']) {
        for (const span of Array.isArray(ev[stance]) ? ev[stance] : []) {
          if (!span || !span.claim) continue;
          (stance === 'supports' && span.kind === 'term' ? terms : facts).push([stance, span]);
        }
      }
      // Each fact (number, date, ordinal, name, negation, or a contradicting term) on its own line.
      for (const [stance, span] of facts) {
        const c = span.claim;
        const p = span.passage || null;
        const whyId = `sanad-why-${key}-${k++}`;
        const item = el('li', { id: whyId, 'data-stance': stance, 'data-kind': span.kind },
          el('span', { class: 'sign', 'aria-hidden': 'true' }, SIGN[stance] || t.unknown), ' ');
        const words = el('span', { class: 'why-text' }, `${t.span[stance]} (${t.kinds[span.kind] || span.kind}): `,
          ...quoted(t, String(c.text ?? '')));
        if (p) {
          words.append(` ${stance === 'contradicts' ? t.vs : t.same} `, ...quoted(t, String(p.text ?? '')));
          if (p.in === 'translation') words.append(` (${t.inTranslation})`);
        }
        item.append(words);
        if (span.reason) {
          const reason = String(span.reason);
          item.append(el('span', { class: 'reason', dir: 'auto', lang: langOf(reason) }, reason));
        }
        why.append(item);
        place({ stance, kind: span.kind, title: words.textContent, whyId }, c, p);
      }
      // Shared words support the claim only weakly: one line for all, and quieter marks.
      if (terms.length) {
        const whyId = `sanad-why-${key}-${k++}`;
        const words = el('span', { class: 'why-text' }, `${t.sameWords}: `);
        terms.forEach(([, span], i) => words.append(i ? t.comma : '', ...quoted(t, String(span.claim.text ?? ''))));
        why.append(el('li', { id: whyId, 'data-stance': 'supports', 'data-kind': 'term' },
          el('span', { class: 'sign', 'aria-hidden': 'true' }, SIGN.supports), ' ', words));
        for (const [, span] of terms) {
          place({ stance: 'supports', kind: 'term', title: words.textContent, whyId }, span.claim, span.passage || null);
        }
      }
      const sentence = el('blockquote', { class: 'ev-text', dir: 'auto', lang: langOf(text) });
      appendMarked(sentence, text, inSource);
      node.append(sentence);
      if (translation) {
        const tr = el('p', { class: 'ev-translation', lang: 'en', dir: 'ltr' });
        appendMarked(tr, translation, inTranslation);
        node.append(el('span', { class: 'label' }, t.translation), tr);
      }
      if (why.childElementCount) node.append(why);

      const cite = { n, id: ev.id, doc_id: ev.doc_id, text, translation: translation || null,
        start: ev.start, end: ev.end, score: ev.score, section: ev.section || null };
      const chip = el('button', { type: 'button', class: 'chip ev-open', 'data-citation': ev.id, 'aria-expanded': 'false',
        'aria-label': `${this._t.citation} ${n}: ${t.open}` }, el('span', { class: 'n' }, `[${n}]`), ` ${t.open}`);
      chip.addEventListener('click', () => this._openCitation(cite, chip));
      const score = typeof ev.score === 'number' ? ev.score.toFixed(3) : String(ev.score ?? '');
      node.append(el('p', { class: 'meta ev-cite' }, chip,
        el('span', {}, `${t.document} `, el('bdi', { class: 'doc' }, String(ev.doc_id ?? ''))),
        el('span', {}, `${t.passage} `, el('bdi', { class: 'pid' }, String(ev.id ?? ''))),
        el('span', {}, `${t.offsets} `, el('bdi', { class: 'offsets' }, `${ev.start}–${ev.end}`)),
        el('span', {}, `${t.score} `, el('bdi', { class: 'score' }, score))));
      return { node, claimSpans };
    },
  };

  Object.assign(SanadChat.prototype, ClaimMode);

  if (!customElements.get('sanad-chat')) customElements.define('sanad-chat', SanadChat);
})();
