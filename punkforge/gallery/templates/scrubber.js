// scrubber.js: the epoch scrubber on a variant's page (variant.html.j2).
// epochs.png holds one row of tiles per recorded epoch and one column per sample
// image, at one pixel per image pixel; this cuts tiles out of it and draws them on
// canvases at whole-number scales with smoothing off, so pixels stay crisp squares.
// The view lives in the URL fragment, #epoch=3&punk=9005, so a link opens it again.
(function () {
  const data = JSON.parse(document.getElementById('scrub-data').textContent);
  const slider = document.getElementById('scrub-slider');
  const label = document.getElementById('scrub-label');
  const play = document.getElementById('scrub-play');
  const grid = document.getElementById('scrub-grid');
  const strip = document.getElementById('scrub-strip');
  const stripTitle = document.getElementById('scrub-strip-title');
  const tiles = document.getElementById('scrub-tiles');
  const n = data.epochs.length, count = data.ids.length;
  const th = data.tile[0], tw = data.tile[1], cols = data.cols;
  const rows = Math.ceil(count / cols);
  const GAP = 2;  // image pixels between tiles and around the grid, as in the progress GIF
  const MAX_SCALE = 8;  // screen pixels per image pixel the grid grows to on a big screen
  const gridW = 2 * GAP + cols * tw + (cols - 1) * GAP, gridH = 2 * GAP + rows * th + (rows - 1) * GAP;
  const s = data.scale;  // the strip's scale: render.gif.scale, like the animation
  let gs = s;  // the grid's scale: the largest whole number that fits the stage (fit())
  // whole device pixels per canvas pixel, so a scale-4 tile is 4 (or 8) device pixels a side
  const k = Math.max(1, Math.round(window.devicePixelRatio || 1));
  const accent = getComputedStyle(document.documentElement).getPropertyValue('--acc').trim();
  const sprite = new Image();
  let index = n - 1, punk = -1, timer = null, loaded = false, stripFor = -2;

  function nearest(epoch) {  // the recorded epoch closest to the one asked for
    let best = 0;
    data.epochs.forEach(function (e, i) {
      if (Math.abs(e - epoch) < Math.abs(data.epochs[best] - epoch)) best = i;
    });
    return best;
  }

  function readFragment() {
    const p = new URLSearchParams(location.hash.replace(/^#/, ''));
    const e = p.get('epoch');
    if (e !== null && e.trim() !== '' && isFinite(+e)) index = nearest(+e);
    const id = p.get('punk');
    punk = id === null ? -1 : data.ids.indexOf(id);
  }

  function writeFragment() {
    let h = '#epoch=' + data.epochs[index];
    if (punk >= 0) h += '&punk=' + encodeURIComponent(data.ids[punk]);
    if (location.hash !== h) location.replace(h);  // no reload, no history entry per step
  }

  function sizeCanvas(canvas, w, h) {
    canvas.width = w * k;
    canvas.height = h * k;
    canvas.style.width = w + 'px';
    canvas.style.height = h + 'px';
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    return ctx;
  }

  function tile(ctx, i, row, x, y, scale) {
    ctx.drawImage(sprite, i * tw, row * th, tw, th, x * k, y * k, tw * scale * k,
      th * scale * k);
  }

  function fit() {
    const stage = grid.parentElement, cs = getComputedStyle(stage);
    const room = stage.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const tall = window.innerHeight * 0.62;  // the slider and the strip stay in view
    gs = Math.max(1, Math.min(MAX_SCALE, Math.floor(room / gridW), Math.floor(tall / gridH)));
  }

  function drawGrid() {
    const ctx = sizeCanvas(grid, gridW * gs, gridH * gs);
    ctx.fillStyle = data.background;
    ctx.fillRect(0, 0, grid.width, grid.height);
    if (!loaded) return;
    for (let i = 0; i < count; i++) {
      const r = Math.floor(i / cols), c = i % cols;
      tile(ctx, i, index, (GAP + c * (tw + GAP)) * gs, (GAP + r * (th + GAP)) * gs, gs);
    }
    if (punk >= 0) {  // a frame in the gutter around the followed image
      const r = Math.floor(punk / cols), c = punk % cols, lw = Math.max(1, gs / 2) * k;
      ctx.strokeStyle = accent || '#f2c14e';
      ctx.lineWidth = lw;
      ctx.strokeRect((GAP + c * (tw + GAP)) * gs * k - lw / 2 - k,
        (GAP + r * (th + GAP)) * gs * k - lw / 2 - k, tw * gs * k + lw + 2 * k,
        th * gs * k + lw + 2 * k);
    }
  }

  function drawStrip() {
    strip.hidden = punk < 0;
    if (punk < 0 || !loaded) return;
    if (stripFor !== punk) {  // one small canvas per epoch, made when the image changes
      stripFor = punk;
      tiles.textContent = '';
      stripTitle.textContent = data.noun + ' ' + data.ids[punk] + ' across ' + n + ' epochs';
      data.epochs.forEach(function (e, j) {
        const fig = document.createElement('figure');
        const canvas = document.createElement('canvas');
        canvas.className = 'px';
        tile(sizeCanvas(canvas, tw * s, th * s), punk, j, 0, 0, s);
        const cap = document.createElement('figcaption');
        cap.textContent = String(e);
        fig.title = 'epoch ' + e;
        fig.append(canvas, cap);
        fig.addEventListener('click', function () { show(j); });
        tiles.append(fig);
      });
    }
    Array.prototype.forEach.call(tiles.children, function (fig, j) {
      fig.classList.toggle('now', j === index);
    });
  }

  function draw() {
    slider.value = String(index);
    label.textContent = 'epoch ' + data.epochs[index] + '/' + data.total;
    drawGrid();
    drawStrip();
  }

  function show(i) {
    index = Math.max(0, Math.min(n - 1, i));
    draw();
    writeFragment();
  }

  function stop() {
    clearTimeout(timer);
    timer = null;
    play.textContent = '\u25B6';
    play.setAttribute('aria-label', 'play');
  }

  function tick() {  // one frame per frame_ms; the last one holds for hold_ms, then again
    const last = index >= n - 1;
    show(last ? 0 : index + 1);
    timer = setTimeout(tick, index >= n - 1 ? data.hold_ms : data.frame_ms);
  }

  function toggle() {
    if (timer !== null) { stop(); return; }
    play.textContent = '\u275A\u275A';
    play.setAttribute('aria-label', 'pause');
    if (index >= n - 1) index = -1;  // from the start when at the end
    tick();
  }

  grid.addEventListener('click', function (ev) {
    const box = grid.getBoundingClientRect();
    const x = (ev.clientX - box.left) / box.width * grid.width / k / gs - GAP;
    const y = (ev.clientY - box.top) / box.height * grid.height / k / gs - GAP;
    const c = Math.floor(x / (tw + GAP)), r = Math.floor(y / (th + GAP));
    if (c < 0 || r < 0 || c >= cols || x - c * (tw + GAP) >= tw || y - r * (th + GAP) >= th) {
      return;
    }
    const i = r * cols + c;
    if (i < count) { punk = i === punk ? -1 : i; draw(); writeFragment(); }
  });
  slider.addEventListener('input', function () { stop(); show(+slider.value); });
  play.addEventListener('click', toggle);
  document.addEventListener('keydown', function (ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const onSlider = ev.target === slider;  // the slider steps itself with the arrows
    const step = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1 }[ev.key];
    if (step && !onSlider) { stop(); show(index + step); ev.preventDefault(); }
    else if (ev.key === 'Home' && !onSlider) { stop(); show(0); ev.preventDefault(); }
    else if (ev.key === 'End' && !onSlider) { stop(); show(n - 1); ev.preventDefault(); }
    else if ((ev.key === ' ' || ev.key === 'k') && ev.target !== play) {
      toggle();
      ev.preventDefault();
    } else if (ev.key === 'Escape' && punk >= 0) { punk = -1; draw(); writeFragment(); }
  });
  window.addEventListener('hashchange', function () { readFragment(); draw(); });
  window.addEventListener('resize', function () { fit(); drawGrid(); });
  sprite.addEventListener('load', function () { loaded = true; draw(); });
  sprite.addEventListener('error', function () {
    label.textContent = data.sprite + ' is missing: run `punkforge render` again';
  });
  readFragment();
  fit();
  draw();
  sprite.src = data.sprite;
})();
