// sort.js: the sort buttons reorder the cards and the figures table by their
// data-* figures (missing figures last); hovering a variant highlights its line.
let sortState = { key: 'order', dir: 1 };
function sortBy(key, dir) {
  if (dir === undefined) dir = sortState.key === key ? -sortState.dir : 1;
  sortState = { key, dir };
  for (const id of ['variants', 'board']) {
    const box = document.getElementById(id);
    if (!box) continue;
    const items = Array.from(box.children);
    items.sort((a, b) => {
      const x = a.dataset[key], y = b.dataset[key];
      if (key === 'name') return dir * x.localeCompare(y);
      const fx = x === '' ? NaN : +x, fy = y === '' ? NaN : +y;
      if (isNaN(fx) || isNaN(fy)) return isNaN(fx) - isNaN(fy);  // missing figures last
      return dir * (fx - fy) || (+a.dataset.order - +b.dataset.order);
    });
    items.forEach(el => box.appendChild(el));
  }
  for (const b of document.querySelectorAll('[data-sort]')) {
    const on = b.dataset.sort === key;
    b.setAttribute('aria-pressed', on);
    const th = b.closest('th');
    if (th) { if (on) th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
              else th.removeAttribute('aria-sort'); }
    const arrow = b.querySelector('i');
    if (arrow) arrow.textContent = on && key !== 'order' ? (dir > 0 ? ' \u2191' : ' \u2193') : '';
  }
}
document.addEventListener('click', ev => {
  const b = ev.target.closest('[data-sort]');
  if (b) sortBy(b.dataset.sort);
});
function focusRun(name) {
  const svg = document.getElementById('runs');
  if (!svg) return;
  svg.classList.toggle('focus', !!name);
  for (const p of svg.querySelectorAll('.run')) p.classList.toggle('on', p.dataset.v === name);
}
for (const el of document.querySelectorAll('[data-name]')) {
  el.addEventListener('mouseenter', () => focusRun(el.dataset.name));
  el.addEventListener('mouseleave', () => focusRun(''));
}
