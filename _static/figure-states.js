/* Interactive figures without a kernel (scripts/course_publishing.py writes their markup).
 *
 * Each <figure class="rnnlib-states"> holds the figure's controls (a range input per slider,
 * a menu per drop-down or prepared input), the image of one state, and, as JSON, the table of
 * states drawn when the notebook ran: "i,j,..." (an index into each control's values) -> image.
 * Moving a control shows the matching image; all images are fetched once, when the page has
 * loaded, so a change only swaps the image's source. Nothing is computed here, nothing is
 * fetched from outside the site.
 */
(function () {
  "use strict";

  function parse(key) {
    return key.split(",").map(Number);
  }

  function setUp(figure) {
    var data = JSON.parse(figure.querySelector("script.rnnlib-states-data").textContent);
    var image = figure.querySelector("img.rnnlib-states-image");
    var status = figure.querySelector(".rnnlib-states-status");
    var inputs = {};
    figure.querySelectorAll("[data-control]").forEach(function (el) {
      inputs[Number(el.dataset.control)] = el;
    });
    var keys = Object.keys(data.states).map(parse);
    var current = parse(data.start);
    var preloaded = [];

    // The state closest to `wanted` once control `moved` has moved. A slider that goes past the
    // states drawn for the other controls (a step beyond the end of a shorter sentence) stops at
    // the last one there is; a menu choice keeps its value and the other controls follow it.
    function closest(wanted, moved) {
      var best = null;
      var bestCost = Infinity;
      var clampSelf = inputs[moved] && inputs[moved].type === "range";
      keys.forEach(function (k) {
        var cost = 0;
        for (var j = 0; j < k.length; j++) {
          var d = Math.abs(k[j] - wanted[j]);
          if (j === moved) cost += clampSelf ? d : d * 1e6;
          else cost += clampSelf ? d * 1e6 : d;
        }
        if (cost < bestCost) {
          bestCost = cost;
          best = k;
        }
      });
      return best;
    }

    function show(state) {
      var key = state.join(",");
      var index = data.states[key];
      var setting = [];
      data.controls.forEach(function (c, j) {
        var label = c.labels[state[j]];
        if (c.labels.length > 1) setting.push(c.label + " = " + label);
        var input = inputs[j];
        if (!input) return;
        input.value = String(state[j]);
        if (input.type === "range") {
          input.setAttribute("aria-valuetext", label);
          var out = figure.querySelector('output[for="' + input.id + '"]');
          if (out) out.textContent = label;
          // the slider reaches only the values drawn for the other controls' current values
          var reach = keys.filter(function (k) {
            return k.every(function (v, m) { return m === j || v === state[m]; });
          }).map(function (k) { return k[j]; });
          input.min = String(Math.min.apply(null, reach));
          input.max = String(Math.max.apply(null, reach));
        }
      });
      image.src = data.images[index];
      image.alt = data.alt[index] + " (shown for " + setting.join(", ") + ")";
      status.textContent = "Shown: " + setting.join(", ");
      figure.dataset.state = key;
      current = state;
    }

    Object.keys(inputs).forEach(function (j) {
      j = Number(j);
      inputs[j].addEventListener("input", function () {
        var wanted = current.slice();
        wanted[j] = Number(inputs[j].value);
        show(closest(wanted, j));
      });
    });
    show(current);
    data.images.forEach(function (src) {
      var img = new Image();
      img.src = src;
      preloaded.push(img);
    });
    figure.rnnlibPreloaded = preloaded;
    figure.classList.add("rnnlib-states-ready");
  }

  function setUpAll() {
    document.querySelectorAll("figure.rnnlib-states").forEach(setUp);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUpAll);
  else setUpAll();
})();
