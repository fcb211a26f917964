(function () {
  "use strict";
  var BATCH = 100;
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var list = document.getElementById("exchanges");
  var more = document.getElementById("more");
  var status = document.getElementById("status");
  var pickOperation = document.getElementById("filter-operation");
  var pickKind = document.getElementById("filter-kind");
  var groupRows = document.querySelectorAll("#groups tr[data-operation]");
  var CLASSES = ["at", "expected", "actual"];
  var matches = [];
  var findings = 0;
  var shown = 0;
  var scheduled = false;

  function number(n) { return n.toLocaleString("en-US"); }

  function describe() {
    status.dataset.exchanges = String(matches.length);
    status.dataset.findings = String(findings);
    status.dataset.shown = String(shown);
    var text = matches.length === 0
      ? "No exchange matches."
      : "Showing " + number(shown) + " of " + number(matches.length) + " exchanges (" +
        number(findings) + " findings)";
    if (shown < matches.length) { text += "; scroll for more"; }
    status.textContent = text;
  }

  function row(match) {
    var exchange = match[0], picked = match[1];
    var article = document.createElement("article");
    article.className = "exchange";
    article.dataset.index = String(exchange[0]);
    article.dataset.operation = exchange[3];
    var heading = document.createElement("h3");
    heading.textContent = exchange[1] + " (" + exchange[2] + ")";
    article.appendChild(heading);
    var pre = document.createElement("pre");
    for (var i = 0; i < picked.length; i++) {
      for (var line = 1; line <= 3; line++) {
        var span = document.createElement("span");
        span.className = CLASSES[line - 1];
        span.dataset.kind = picked[i][0];
        span.textContent = picked[i][line] + "\n";
        pre.appendChild(span);
      }
    }
    article.appendChild(pre);
    var hidden = exchange[4].length - picked.length;
    if (hidden > 0) {
      var note = document.createElement("p");
      note.className = "hidden-note";
      note.textContent = hidden + " more finding" + (hidden === 1 ? "" : "s") +
        " of other kinds in this exchange";
      article.appendChild(note);
    }
    return article;
  }

  function renderBatch() {
    var end = Math.min(shown + BATCH, matches.length);
    var fragment = document.createDocumentFragment();
    for (var i = shown; i < end; i++) { fragment.appendChild(row(matches[i])); }
    list.appendChild(fragment);
    shown = end;
  }

  function fill() {
    scheduled = false;
    var before = shown;
    while (shown < matches.length &&
           more.getBoundingClientRect().top < window.innerHeight * 2) {
      renderBatch();
    }
    if (shown !== before) { describe(); }
  }

  function schedule() {
    if (!scheduled) { scheduled = true; window.requestAnimationFrame(fill); }
  }

  function apply() {
    var operation = pickOperation.value, kind = pickKind.value;
    matches = [];
    findings = 0;
    for (var i = 0; i < data.length; i++) {
      var exchange = data[i];
      if (operation && exchange[3] !== operation) { continue; }
      var picked = exchange[4];
      if (kind) {
        picked = picked.filter(function (f) { return f[0] === kind; });
        if (picked.length === 0) { continue; }
      }
      matches.push([exchange, picked]);
      findings += picked.length;
    }
    for (var r = 0; r < groupRows.length; r++) {
      var tr = groupRows[r];
      var header = tr.dataset.kind === "";
      var on = (operation !== "" || kind !== "") &&
        (operation === "" || tr.dataset.operation === operation) &&
        (header ? kind === "" : kind === "" || tr.dataset.kind === kind);
      tr.classList.toggle("selected", on);
    }
    list.textContent = "";
    shown = 0;
    fill();
    describe();
  }

  function choose(select, value) {
    var found = false;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) { found = true; }
    }
    select.value = found ? value : "";
  }

  for (var g = 0; g < groupRows.length; g++) {
    var tr = groupRows[g];
    tr.tabIndex = 0;
    var pick = function (event) {
      if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") { return; }
      event.preventDefault();
      choose(pickOperation, this.dataset.operation);
      choose(pickKind, this.dataset.kind);
      apply();
      document.getElementById("filters").scrollIntoView();
    };
    tr.addEventListener("click", pick);
    tr.addEventListener("keydown", pick);
  }
  pickOperation.addEventListener("change", apply);
  pickKind.addEventListener("change", apply);
  document.getElementById("filter-clear").addEventListener("click", function () {
    pickOperation.value = "";
    pickKind.value = "";
    apply();
  });
  window.addEventListener("scroll", schedule, { passive: true });
  window.addEventListener("resize", schedule);
  apply();
  document.body.dataset.ready = "true";
})();
