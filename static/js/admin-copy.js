// "Copy" buttons beside customer links in the admin: copies the full URL.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var url = window.location.origin + button.dataset.copy;
  navigator.clipboard.writeText(url).then(function () {
    var label = button.textContent;
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = label; }, 1500);
  });
});
