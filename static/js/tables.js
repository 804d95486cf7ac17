// A table wider than its box scrolls sideways inside it (.table-wrap): that box is made reachable by
// keyboard (a tab stop, a region named after its table's heading) so it can be scrolled without a
// mouse (WCAG 2.1.1; axe-core's scrollable-region-focusable). Boxes that do not scroll stay out of
// the tab order.
(function () {
  function name(box) {
    var section = box.closest("section");
    var heading = section && section.querySelector("h2, h3");
    return (heading ? heading.textContent.trim() : "Table") + " (scrolls sideways)";
  }
  function mark() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", name(box));
      } else if (!scrolls && box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", mark); } else { mark(); }
  window.addEventListener("resize", mark);
})();
