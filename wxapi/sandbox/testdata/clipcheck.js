// clipcheck.js lists the text a label hides by accident: text outside the
// box of an ancestor that clips (overflow other than visible), horizontally
// or by more than half a line vertically. Truncation the template asks for,
// an ellipsis (text-overflow) or a line clamp, is not reported. It writes the
// list as JSON to <body data-clipped>, for chromium --dump-dom to show.
(() => {
  const clipped = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim() || n.parentElement.closest("script,style,svg")) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    const rects = Array.from(range.getClientRects());
    for (let a = n.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.overflowX === "visible" && cs.overflowY === "visible") continue;
      if (cs.textOverflow === "ellipsis" || (cs.webkitLineClamp && cs.webkitLineClamp !== "none")) break;
      const box = a.getBoundingClientRect();
      const left = box.left + a.clientLeft, top = box.top + a.clientTop;
      const right = left + a.clientWidth, bottom = top + a.clientHeight;
      if (rects.some(r => r.left < left - 0.5 || r.right > right + 0.5 || (r.top + r.bottom) / 2 < top || (r.top + r.bottom) / 2 > bottom)) {
        clipped.push(n.textContent.trim().slice(0, 30) + " in ." + (a.className || a.tagName));
        break;
      }
    }
  }
  document.body.setAttribute("data-clipped", JSON.stringify(clipped));
})();
