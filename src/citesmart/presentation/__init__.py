"""How figures look, shared by the portal and the published reports: numbers and dates the
Peruvian way (`formatting`) and server-side SVG charts (`charts`). No models, no queries:
it imports nothing of citesmart but itself, so any app may use it."""
