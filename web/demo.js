/* The demo page's only script (the page's CSP forbids inline script): "try asking" and "try
 * checking" buttons put their question or claim into the widget, and a citation opened in the widget is also
 * highlighted in the article shown on the page. */
(() => {
  'use strict';
  const chat = () => document.querySelector('sanad-chat');
  for (const button of document.querySelectorAll('button.try-q')) {
    button.addEventListener('click', () => {
      const widget = chat();
      if (widget && typeof widget.ask === 'function') widget.ask(button.dataset.question);
    });
  }
  for (const button of document.querySelectorAll('button.try-c')) {
    button.addEventListener('click', () => {
      const widget = chat();
      if (widget && typeof widget.checkClaim === 'function') widget.checkClaim(button.dataset.claim);
    });
  }
  document.addEventListener('sanad-citation', (event) => {
    for (const old of document.querySelectorAll('.sentence.cited')) old.classList.remove('cited');
    const id = event.detail && event.detail.id;
    const span = id ? document.querySelector(`.sentence[data-passage="${CSS.escape(id)}"]`) : null;
    if (!span) return;
    span.classList.add('cited');
    span.scrollIntoView({ block: 'nearest' });
  });
})();
