"""The page's one script: ``[n]`` markers in an answer become links to their source cards;
a mental model's ``[n]`` links bring its source card forward; a card's "Whole document"
button opens the document viewer.

Answers arrive as markdown (the chatbot escapes any HTML in them), so the markers are
plain text; this script wraps each ``[n]`` of an assistant message in a focusable
``a.coach-cite``. Clicking one shows that answer's sources (the chat's own select event
switches the panel) and focuses card n once the panel belongs to that message; hovering
one outlines the card when the panel already shows its answer. Hovering a card's own
``[n]`` outlines the markers in the chat that point to it.

A "Whole document" button (``button.coach-open-doc``, rendered by ``ui.render``) writes its
document key and a counter into the hidden ``#coach-doc-request`` box; the server answers
with the viewer (``ui.documents``), which Close, Escape or a click beside it hides.
"""

HEAD = """<script>
(() => {
  const MARKER = /\\[(\\d+)\\]/g;
  const panel = () => document.querySelector('#coach-sources-panel .coach-sources');
  const messages = () => Array.from(document.querySelectorAll(
    '#coach-chat [data-testid=bot], #coach-chat [data-testid=user]'));
  const messageOf = (node) => messages().indexOf(node.closest('[data-testid=bot]'));
  const card = (n) => document.querySelector(`#coach-sources-panel .coach-source[data-refs~="${n}"]`);
  let wanted = null;  // {message, n, focus}: a card to bring forward once the panel shows its answer

  function link(root) {
    for (const container of root.querySelectorAll('#coach-chat [data-testid=bot] .message-content')) {
      const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
      const found = [];
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement.closest('a, code, pre') || node.parentElement.classList.contains('md')) continue;
        MARKER.lastIndex = 0;
        if (MARKER.test(node.data)) found.push(node);
      }
      for (const node of found) {
        const parts = node.data.split(MARKER);  // text, number, text, number, ..., text
        const fragment = document.createDocumentFragment();
        parts.forEach((part, i) => {
          if (i % 2 === 0) { if (part) fragment.append(part); return; }
          const a = document.createElement('a');
          a.className = 'coach-cite'; a.dataset.n = part; a.tabIndex = 0; a.setAttribute('role', 'link');
          a.title = `Source ${part}`; a.textContent = `[${part}]`;
          fragment.append(a);
        });
        node.replaceWith(fragment);
      }
    }
  }

  function bringForward() {
    const shown = panel();
    if (!wanted || !shown || shown.dataset.message !== String(wanted.message)) return;
    const target = card(wanted.n);
    if (!target) return;
    document.querySelectorAll('#coach-sources-panel .coach-focus').forEach((c) => c.classList.remove('coach-focus'));
    target.classList.add('coach-focus');
    if (wanted.focus) {
      target.scrollIntoView({block: 'nearest'});
      target.focus({preventScroll: true});
      wanted.focus = false;
    }
  }

  function choose(cite) {
    wanted = {message: messageOf(cite), n: cite.dataset.n, focus: true};
    bringForward();
  }

  document.addEventListener('click', (event) => {
    const cite = event.target.closest && event.target.closest('a.coach-cite');
    if (cite) choose(cite);  // the click goes on to the message: the chat selects its answer
  }, true);
  document.addEventListener('keydown', (event) => {
    const cite = event.target.closest && event.target.closest('a.coach-cite');
    if (cite && (event.key === 'Enter' || event.key === ' ')) { event.preventDefault(); cite.click(); }
  });
  document.addEventListener('mouseover', (event) => {
    const cite = event.target.closest && event.target.closest('a.coach-cite');
    const shown = panel();
    if (cite && shown && shown.dataset.message === String(messageOf(cite))) {
      const target = card(cite.dataset.n);
      if (target) target.classList.add('coach-hover');
    }
    const ref = event.target.closest && event.target.closest('#coach-sources-panel .coach-source');
    if (ref && shown) {
      const bubble = messages()[+shown.dataset.message];
      const refs = ref.dataset.refs.split(' ');
      if (bubble) bubble.querySelectorAll('a.coach-cite').forEach((a) => {
        if (refs.includes(a.dataset.n)) a.classList.add('coach-cite-on');
      });
    }
  });
  document.addEventListener('mouseout', (event) => {
    if (!event.target.closest) return;
    if (event.target.closest('a.coach-cite')) {
      document.querySelectorAll('#coach-sources-panel .coach-hover').forEach((c) => c.classList.remove('coach-hover'));
    }
    if (event.target.closest('#coach-sources-panel .coach-source')) {
      document.querySelectorAll('#coach-chat .coach-cite-on').forEach((a) => a.classList.remove('coach-cite-on'));
    }
  });


  // a mental model's [n] links (rendered server-side as a.coach-mcite) and its source cards
  const modelCard = (n) => document.getElementById(`coach-model-source-${n}`);
  document.addEventListener('click', (event) => {
    const cite = event.target.closest && event.target.closest('a.coach-mcite');
    if (!cite) return;
    event.preventDefault();
    const target = modelCard(cite.dataset.n);
    if (!target) return;
    document.querySelectorAll('#coach-model-sources .coach-focus').forEach((c) => c.classList.remove('coach-focus'));
    target.classList.add('coach-focus');
    target.scrollIntoView({block: 'nearest'});
    target.focus({preventScroll: true});
  });
  document.addEventListener('mouseover', (event) => {
    if (!event.target.closest) return;
    const cite = event.target.closest('a.coach-mcite');
    if (cite && modelCard(cite.dataset.n)) modelCard(cite.dataset.n).classList.add('coach-hover');
    const source = event.target.closest('#coach-model-sources .coach-model-source');
    if (source) document.querySelectorAll(`#coach-model-doc a.coach-mcite[data-n="${source.dataset.n}"]`)
      .forEach((a) => a.classList.add('coach-cite-on'));
  });
  document.addEventListener('mouseout', (event) => {
    if (!event.target.closest) return;
    if (event.target.closest('a.coach-mcite')) document.querySelectorAll('#coach-model-sources .coach-hover')
      .forEach((c) => c.classList.remove('coach-hover'));
    if (event.target.closest('#coach-model-sources .coach-model-source'))
      document.querySelectorAll('#coach-model-doc .coach-cite-on').forEach((a) => a.classList.remove('coach-cite-on'));
  });

  // the whole-document viewer
  let opened = 0, opener = null, shownDoc = null;
  const viewer = () => document.querySelector('#coach-doc-view .coach-doc-modal');
  function closeDoc() {
    const modal = viewer();
    if (!modal || modal.classList.contains('coach-doc-closed')) return;
    modal.classList.add('coach-doc-closed');
    if (opener && opener.isConnected) opener.focus();
  }
  function showDoc() {  // a new viewer from the server: bring it forward once
    const modal = viewer();
    if (!modal || modal.dataset.opened === shownDoc) return;
    shownDoc = modal.dataset.opened;
    const close = modal.querySelector('.coach-doc-close');
    if (close) close.focus({preventScroll: true});
  }
  document.addEventListener('click', (event) => {
    if (!event.target.closest) return;
    const open = event.target.closest('button.coach-open-doc');
    if (open) {
      event.preventDefault();
      const box = document.querySelector('#coach-doc-request textarea, #coach-doc-request input');
      if (!box) return;
      opener = open;
      box.value = `${open.dataset.source}\n${Date.now()}-${++opened}`;
      box.dispatchEvent(new Event('input', {bubbles: true}));
      return;
    }
    if (event.target.closest('.coach-doc-close') || event.target.classList.contains('coach-doc-modal')) closeDoc();
  });
  document.addEventListener('keydown', (event) => { if (event.key === 'Escape') closeDoc(); });

  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; link(document); bringForward(); showDoc(); });
  }).observe(document.documentElement, {childList: true, subtree: true, characterData: true});
})();
</script>"""
