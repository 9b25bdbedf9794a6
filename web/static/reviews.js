// The decision form: show the attribute and ground fields only when they apply (the server
// applies the rules whatever was shown; without this script every field is simply visible).
(function () {
  "use strict";
  var form = document.querySelector("form.decision");
  if (!form) { return; }
  var last = document.getElementById("last-level");
  var attribute = document.getElementById("attribute");
  function update() {
    var chosen = form.querySelector("input[name=decision]:checked");
    if (last) {  // the attribute is confirmed only by an approval at the last level
      last.hidden = chosen !== null && chosen.value !== "approve";
      last.disabled = last.hidden;
    }
    if (attribute) {
      var grounds = form.querySelectorAll(".field.ground");
      var proactive = attribute.value === "proactive";
      for (var i = 0; i < grounds.length; i += 1) {
        grounds[i].hidden = proactive;
        var input = grounds[i].querySelector("select, input");
        if (input) { input.disabled = proactive; }  // a hidden ground is not sent
      }
    }
  }
  form.addEventListener("change", update);
  update();
}());
