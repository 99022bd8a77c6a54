// fit.js: pixel art at a whole number of screen pixels per punk pixel.
// data-u: image pixels per punk pixel. The largest multiple that fits its box wins,
// so every punk pixel stays a crisp square; what cannot fit even at one device pixel
// per punk pixel is scaled smoothly instead of aliasing.
function fitPixels() {
  const dpr = window.devicePixelRatio || 1;
  for (const img of document.querySelectorAll('img[data-u]')) {
    const nw = +img.getAttribute('width'), u = +img.dataset.u, zoom = +(img.dataset.zoom || 1);
    const cs = getComputedStyle(img.parentElement);
    const box = img.parentElement.clientWidth - parseFloat(cs.paddingLeft)
      - parseFloat(cs.paddingRight);
    if (!nw || !u || !box) continue;
    const m = Math.min(Math.floor(box * u / nw * dpr) / dpr, u * zoom);
    const soft = m * dpr < 1;
    img.classList.toggle('soft', soft);
    img.style.width = soft ? '100%' : (nw * m / u) + 'px';
  }
}
window.addEventListener('resize', fitPixels);
fitPixels();
