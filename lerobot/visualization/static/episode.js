// Episode page of lerobot-dataset-viz-html (lerobot/visualization/templates/episode.html).
//
// One clock drives the page: the first video when the episode has one (else the wall clock). Episode
// time t runs over [0, length / fps); camera video v shows t at v.from + t in its mp4 (v3.0 datasets
// concatenate episodes in one mp4: the page plays only [from, to)). The other videos follow the first one,
// the PNG cameras show frame floor(t * fps), and the plot's cursor sits at t; a click on the plot seeks.
// Keys: space play / pause, left / right arrows one frame back / forward.
(function () {
  "use strict";
  const ep = window.LEROBOT_EPISODE;
  const fps = ep.fps;
  const dt = 1 / fps;
  const tLast = Math.max(0, (ep.length - 1) * dt);  // time of the last frame
  const SEEK_INTO_FRAME = 0.2 * dt;  // seek a little past a frame's timestamp, so that frame is the one shown
  const FOLLOW_TOLERANCE = 0.1;  // seconds a following video may drift before it is re-seeked

  const videos = Array.from(document.querySelectorAll("video.camera")).map((el, i) => ({
    el: el,
    from: ep.videos[i].from_s,
    to: ep.videos[i].to_s,
  }));
  const images = Array.from(document.querySelectorAll("img.image-camera")).map((el, i) => ({
    el: el,
    urls: ep.images[i].urls,
    shown: 0,
  }));
  const master = videos.length ? videos[0] : null;
  const playButton = document.getElementById("play");
  const clockEl = document.getElementById("clock");
  const frameEl = document.getElementById("frame");
  const cursor = document.getElementById("cursor");

  let playing = false;
  let wallOffset = 0; // no-video clock: t = wallOffset (+ elapsed wall time while playing)
  let wallStart = 0;
  let shownFrame = -1;

  function clampT(t) {
    return Math.max(0, Math.min(t, tLast));
  }
  function frameAt(t) {
    return Math.max(0, Math.min(ep.length - 1, Math.floor(t * fps + 1e-6)));
  }
  function now() {
    if (master) return master.el.currentTime - master.from;
    return playing ? wallOffset + (performance.now() - wallStart) / 1000 : wallOffset;
  }

  function seek(t) {
    t = clampT(t);
    for (const v of videos) v.el.currentTime = Math.min(v.from + t + SEEK_INTO_FRAME, v.to - 1e-3);
    wallOffset = t;
    wallStart = performance.now();
    render(t);
  }

  function play() {
    if (now() >= tLast - 1e-3) seek(0);
    wallOffset = clampT(now());
    wallStart = performance.now();
    playing = true;
    for (const v of videos) {
      const p = v.el.play();
      if (p && p.catch) p.catch(function () {});
    }
    playButton.textContent = "Pause";
  }

  function pause() {
    const t = clampT(now());
    playing = false;
    for (const v of videos) v.el.pause();
    wallOffset = t;
    playButton.textContent = "Play";
  }

  // The plot: every state/action dimension against time, the features' names as legends.
  let graph = null;
  const plotDiv = document.getElementById("plot");
  if (plotDiv && ep.rows.length && typeof Dygraph !== "undefined") {
    graph = new Dygraph(plotDiv, ep.rows, {
      labels: ep.labels,
      labelsDiv: document.getElementById("legend"),
      legend: "always",
      xlabel: "time (s)",
      strokeWidth: 1.2,
      highlightCircleSize: 3,
      clickCallback: function (event, x) {
        pause();
        seek(x);
      },
      drawCallback: function () {
        placeCursor(clampT(now()));
      },
    });
  }

  function placeCursor(t) {
    if (!graph || !cursor) return;
    const area = graph.getArea();
    cursor.style.left = graph.toDomXCoord(t) - 1 + "px";
    cursor.style.top = area.y + "px";
    cursor.style.height = area.h + "px";
    cursor.style.display = "block";
  }

  function render(t) {
    const k = frameAt(t);
    clockEl.textContent = t.toFixed(2) + " / " + (ep.length * dt).toFixed(2) + " s";
    frameEl.textContent = "frame " + k + " / " + (ep.length - 1);
    for (const img of images) {
      if (img.shown !== k) {
        img.el.src = img.urls[k];
        img.shown = k;
      }
    }
    placeCursor(t);
    if (graph && k !== shownFrame) graph.setSelection(k);
    shownFrame = k;
  }

  // End of the episode: stop as soon as its last frame is reached, one frame before the next episode's
  // frames in the same mp4 (checked at every animation frame and every presented video frame).
  function stopAtEnd() {
    if (playing && now() >= tLast - 1e-3) {
      pause();
      seek(tLast);
    } else if (!playing && master && master.el.currentTime > master.to) {
      seek(tLast);
    }
  }
  function watchFrames(v) {
    if (!v.el.requestVideoFrameCallback) return;
    v.el.requestVideoFrameCallback(function () {
      if (v === master) stopAtEnd();
      else if (v.el.currentTime >= v.to - dt) v.el.pause(); // a following camera's segment ended
      watchFrames(v);
    });
  }

  function tick() {
    stopAtEnd();
    let t = clampT(now());
    for (const v of videos) {
      if (v === master) continue;
      const target = Math.min(v.from + t + SEEK_INTO_FRAME, v.to - 1e-3);
      if (Math.abs(v.el.currentTime - target) > FOLLOW_TOLERANCE || (!playing && v.el.currentTime > v.to)) {
        v.el.currentTime = target;
      }
      if (playing && v.el.currentTime >= v.to - dt) v.el.pause();
      else if (playing && v.el.paused && target < v.to - dt) {
        const p = v.el.play();
        if (p && p.catch) p.catch(function () {});
      }
    }
    render(t);
    window.requestAnimationFrame(tick);
  }

  for (const v of videos) {
    v.el.addEventListener("loadedmetadata", function () {
      if (!playing) v.el.currentTime = Math.min(v.from + clampT(wallOffset) + SEEK_INTO_FRAME, v.to - 1e-3);
    });
    v.el.addEventListener("ended", function () {
      if (v === master && playing) pause();
    });
    if (v.el.readyState >= 1) v.el.currentTime = v.from + SEEK_INTO_FRAME;
    watchFrames(v);
  }
  playButton.addEventListener("click", function () {
    playing ? pause() : play();
  });
  document.addEventListener("keydown", function (event) {
    if (event.target && event.target.matches && event.target.matches("input, textarea, select")) return;
    if (event.code === "Space" || event.key === " ") {
      event.preventDefault();
      playing ? pause() : play();
    } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      event.preventDefault();
      const k = frameAt(now() + 1e-6) + (event.key === "ArrowRight" ? 1 : -1);
      pause();
      seek(k * dt);
    }
  });

  // For tests and the console.
  window.lerobotViz = {
    play: play,
    pause: pause,
    seek: seek,
    now: now,
    frameAt: frameAt,
    isPlaying: function () {
      return playing;
    },
    graph: graph,
    videos: videos,
  };
  render(0);
  window.requestAnimationFrame(tick);
})();
