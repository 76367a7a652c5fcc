"""The core both front ends call: the app object (bank, store, engines built
from settings) and the flows. It never imports a front end (cli, web)."""
