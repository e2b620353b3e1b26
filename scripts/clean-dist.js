// tsc never deletes: without this, files of renamed or removed sources would linger in dist/
// and be packed. The demo and widget builds (vite) own dist/demo and dist/widget.
import { existsSync, readdirSync, rmSync } from 'node:fs';
if (existsSync('dist'))
  for (const f of readdirSync('dist', { withFileTypes: true }))
    if (!(f.isDirectory() && (f.name === 'demo' || f.name === 'widget'))) rmSync(`dist/${f.name}`, { recursive: true, force: true });
