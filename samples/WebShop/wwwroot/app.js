// The shop page: plain fetch calls to /api; the session cookie carries the cart.
const euros = new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' });
const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const response = await fetch('/api' + path, { headers: { 'Content-Type': 'application/json' }, ...options });
  const body = response.headers.get('Content-Type')?.includes('json') ? await response.json() : null;
  if (!response.ok) {
    throw new Error(body?.detail || body?.title || `${response.status} ${response.statusText}`);
  }
  return body;
}

function say(text, kind) {
  const message = $('message');
  message.textContent = text;
  message.className = 'message ' + (kind || '');
}

async function loadProducts() {
  const products = await api('/products');
  const grid = $('products');
  const template = $('product-card');
  grid.replaceChildren(...products.map((p) => {
    const card = template.content.firstElementChild.cloneNode(true);
    card.dataset.productId = p.id;
    card.id = 'product-' + p.id;
    card.querySelector('.icon').textContent = p.icon;
    card.querySelector('.name').textContent = p.name;
    card.querySelector('.desc').textContent = p.description;
    card.querySelector('.price').textContent = euros.format(p.price);
    const stock = card.querySelector('.stock');
    stock.textContent = p.stock > 0 ? `${p.stock} in stock` : 'Sold out';
    stock.classList.toggle('low', p.stock < 10);
    const add = card.querySelector('.add');
    add.id = 'add-' + p.id;
    add.disabled = p.stock <= 0;
    add.addEventListener('click', () => addToCart(p.id));
    return card;
  }));
  grid.setAttribute('aria-busy', 'false');
}

function renderCart(cart) {
  $('cart-lines').replaceChildren(...cart.lines.map((line) => {
    const li = document.createElement('li');
    li.dataset.test = 'cart-line';
    li.dataset.productId = line.productId;
    li.innerHTML = '<span></span><span></span><span class="qty"></span><button class="remove" title="Remove">✕</button>';
    li.children[0].textContent = line.icon;
    li.children[1].textContent = line.name;
    li.children[2].textContent = `${line.quantity} × ${euros.format(line.price)}`;
    li.children[3].dataset.test = 'remove';
    li.children[3].addEventListener('click', () => removeFromCart(line.productId));
    return li;
  }));
  $('cart-empty').hidden = cart.lines.length > 0;
  $('cart-count').textContent = cart.items;
  $('cart-total').textContent = euros.format(cart.total);
  $('checkout').disabled = cart.lines.length === 0;
}

async function loadCart() { renderCart(await api('/cart')); }

async function loadBestSellers() {
  const rows = await api('/leaderboard?top=5');
  $('best-sellers').replaceChildren(...rows.map((row) => {
    const li = document.createElement('li');
    li.dataset.test = 'best-seller';
    li.textContent = row.name ?? `Product ${row.productId}`;
    const units = document.createElement('span');
    units.className = 'units';
    units.textContent = `${row.unitsSold} sold`;
    li.append(units);
    return li;
  }));
  $('best-empty').hidden = rows.length > 0;
}

async function addToCart(productId) {
  try {
    renderCart(await api('/cart/items', { method: 'POST', body: JSON.stringify({ productId, quantity: 1 }) }));
    say('Added to your cart.', 'ok');
  } catch (error) { say(error.message, 'error'); }
}

async function removeFromCart(productId) {
  try { renderCart(await api('/cart/items/' + productId, { method: 'DELETE' })); say(''); } catch (error) { say(error.message, 'error'); }
}

async function checkOut() {
  $('checkout').disabled = true;
  try {
    const order = await api('/checkout', { method: 'POST' });
    say(`Thank you! Order #${order.id} placed: ${order.items} item(s), ${euros.format(order.total)}.`, 'ok');
    $('message').dataset.orderId = order.id;
  } catch (error) { say(error.message, 'error'); }
  await Promise.all([loadCart(), loadProducts(), loadBestSellers()]);
}

$('checkout').addEventListener('click', checkOut);
Promise.all([loadProducts(), loadCart(), loadBestSellers()]).catch((error) => say(error.message, 'error'));
