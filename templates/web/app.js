// Sort a table by clicking its header (progressive: the server already sorts and filters).
document.querySelectorAll("table.sortable th[data-sort]").forEach(function (th) {
  th.style.cursor = "pointer";
  th.addEventListener("click", function () {
    var table = th.closest("table"), body = table.tBodies[0];
    var i = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.dataset.sort === "n", dir = th.dataset.dir === "asc" ? -1 : 1;
    th.dataset.dir = dir === 1 ? "asc" : "desc";
    Array.prototype.slice.call(body.rows).sort(function (a, b) {
      var x = a.cells[i].dataset.v || a.cells[i].textContent, y = b.cells[i].dataset.v || b.cells[i].textContent;
      if (numeric) { return dir * ((parseFloat(x) || 0) - (parseFloat(y) || 0)); }
      return dir * x.localeCompare(y);
    }).forEach(function (r) { body.appendChild(r); });
  });
});

// Coding: a question that applies only when another answer holds is enabled only then (the
// server checks it too). Disabled fields are not sent, so they are cleared on save.
(function () {
  var sets = document.querySelectorAll("fieldset[data-when-var]");
  if (!sets.length) { return; }
  function chosen(name) {
    var out = [];
    document.querySelectorAll("[name='" + name + "']").forEach(function (el) {
      if ((el.type === "checkbox" || el.type === "radio") ? el.checked : el.value) { out.push(el.value); }
    });
    return out;
  }
  function update() {
    sets.forEach(function (fs) {
      var have = chosen(fs.dataset.whenVar), want = fs.dataset.whenValues.split(" ");
      var hit = have.some(function (v) { return want.indexOf(v) >= 0; });
      var on = fs.dataset.whenNegated === "true" ? (have.length > 0 && !hit) : hit;
      fs.disabled = !on;
      fs.classList.toggle("off", !on);
    });
  }
  document.addEventListener("change", update);
  update();
})();

// Buttons that act on many things at once ask first (data-confirm holds the question).
document.querySelectorAll("form[data-confirm]").forEach(function (f) {
  f.addEventListener("submit", function (e) {
    if (!window.confirm(f.dataset.confirm)) { e.preventDefault(); }
  });
});

// Coding: "None of these" and a category of the same question exclude each other (the server
// refuses both together too).
document.addEventListener("change", function (e) {
  var box = e.target;
  if (box.type !== "checkbox" || !box.checked || !box.closest("fieldset")) { return; }
  var none = box.value === "none_of_these";
  box.closest("fieldset").querySelectorAll("input[type=checkbox][name='" + box.name + "']").forEach(function (other) {
    if (other !== box && (none || other.value === "none_of_these")) { other.checked = false; }
  });
});

// The launch page's call-back window: a countdown to when the first letter may go (the page
// says the moment in words without it).
(function () {
  var el = document.getElementById('countdown');
  if (!el) return;
  var left = parseInt(el.getAttribute('data-seconds'), 10);
  if (isNaN(left)) return;
  function show() {
    var m = Math.floor(left / 60), s = left % 60;
    el.textContent = left > 0 ? m + ' min ' + (s < 10 ? '0' : '') + s + ' s' : 'now';
  }
  show();
  setInterval(function () { if (left > 0) { left -= 1; show(); } }, 1000);
})();
