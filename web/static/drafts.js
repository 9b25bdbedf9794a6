/* Drafters' form, progressively enhanced: a character counter for the summary, a size check of the
   chosen files, and the upload sent with XMLHttpRequest so a <progress> bar can show how far it has
   got. The server's answer is followed as a browser would: a redirect (to the document's page) is
   navigated to; a form with errors (422) or an error page replaces this page. Without this script
   the plain form posts and works the same. */
(function () {
  "use strict";

  function counters(root) {
    root.querySelectorAll("textarea[data-counter]").forEach(function (area) {
      var out = document.getElementById(area.dataset.counter);
      var max = parseInt(area.getAttribute("maxlength"), 10);
      if (!out || !max) {
        return;
      }
      var update = function () {
        var used = Array.from(area.value).length;
        out.textContent = "已输入 " + used + " 字，还可输入 " + Math.max(0, max - used) + " 字";
        out.classList.toggle("over", used > max);
      };
      out.hidden = false;
      area.addEventListener("input", update);
      update();
    });
  }

  function sizeCheck(form) {
    var input = form.querySelector("input[type=file][data-limit]");
    var out = document.getElementById("attachments-size");
    if (!input || !out) {
      return function () { return true; };
    }
    var limit = parseInt(input.dataset.limit, 10);
    var check = function () {
      var total = 0;
      Array.from(input.files || []).forEach(function (file) { total += file.size; });
      var over = total > limit;
      out.hidden = !over;
      out.textContent = over ? "所选文件合计 " + total.toLocaleString() + " 字节，超过单次报送允许的 " +
        limit.toLocaleString() + " 字节：请减少或压缩附件。" : "";
      if (over) {
        input.focus();
      }
      return !over;
    };
    input.addEventListener("change", check);
    return check;
  }

  function replace(html) {
    var parsed = new DOMParser().parseFromString(html, "text/html");
    document.title = parsed.title;
    document.head.replaceWith(document.adoptNode(parsed.head));
    document.body.replaceWith(document.adoptNode(parsed.body));
    init(document);  // scripts that came with the page are not run again: set it up here
    window.scrollTo(0, 0);
    (document.getElementById("error-summary") || document.getElementById("main")).focus();
  }

  function enhance(form) {
    var check = sizeCheck(form);
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest || !window.DOMParser) {
        return;  // the browser posts the form itself
      }
      event.preventDefault();
      if (!check()) {
        return;
      }
      var status = document.getElementById("upload-status");
      var bar = document.getElementById("upload-progress");
      var text = document.getElementById("upload-text");
      var button = form.querySelector("button[type=submit]");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "text/html");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable && e.total > 0) {
          bar.max = e.total;
          bar.value = e.loaded;
          text.textContent = "已上传 " + Math.floor(e.loaded * 100 / e.total) + "%";
        }
      });
      xhr.upload.addEventListener("load", function () {
        bar.value = bar.max;
        text.textContent = "上传完成，正在检查报送内容…";
      });
      xhr.addEventListener("load", function () {
        var target = xhr.responseURL;
        if (xhr.status >= 200 && xhr.status < 300 && target && target !== form.action) {
          window.location.assign(target);
          return;
        }
        replace(xhr.responseText);
      });
      xhr.addEventListener("error", function () {
        button.disabled = false;
        text.textContent = "上传失败：网络连接中断，请重新提交。";
      });
      status.hidden = false;
      button.disabled = true;
      text.textContent = "正在上传…";
      xhr.send(new FormData(form));
    });
  }

  function summaryLinks(root) {
    var summary = root.getElementById("error-summary");
    if (!summary) {
      return;
    }
    summary.querySelectorAll("a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (target) {
          event.preventDefault();
          target.scrollIntoView({block: "center"});
          target.focus();
        }
      });
    });
  }

  function init(root) {
    counters(root);
    summaryLinks(root);
    root.querySelectorAll("form[data-enhance=upload]").forEach(enhance);
  }

  init(document);
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
}());
