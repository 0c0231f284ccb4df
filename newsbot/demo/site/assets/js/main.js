// demo script: cookie banner + menu toggle (no network access)
(function () {
  var btn = document.getElementById('cn-accept-cookie');
  if (btn) { btn.addEventListener('click', function (e) { e.preventDefault(); document.getElementById('cookie-notice').style.display = 'none'; }); }
  var toggle = document.querySelector('.menu-toggle');
  if (toggle) { toggle.addEventListener('click', function () { document.body.classList.toggle('menu-open'); }); }
})();
