"""x86-64 routes: assembly assembled by Keystone, run natively or emulated by Unicorn."""
