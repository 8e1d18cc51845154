import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Writes a tiny OCI image layout (tag `latest`) without any network or container tool: one
 * gzip layer holding `hello.txt`, a config and a manifest. Use it as `oci:<dir>:latest` with
 * skopeo, or `podman load`. Different `content` gives a different image digest.
 */
export async function writeTinyOciImage(dir: string, content = 'hello from the EIDF sandbox\n'): Promise<void> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const writeBlob = async (data: Buffer): Promise<{ digest: string; size: number }> => {
    const hex = createHash('sha256').update(data).digest('hex');
    await writeFile(join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: data.length };
  };

  const tar = tarOneFile('hello.txt', Buffer.from(content, 'utf8'));
  const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  const layer = await writeBlob(gzipSync(tar));
  const config = await writeBlob(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: '2024-01-01T00:00:00Z',
        config: {},
        rootfs: { type: 'layers', diff_ids: [diffId] },
      }),
    ),
  );
  const manifest = await writeBlob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
      }),
    ),
  );
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': 'latest' },
        },
      ],
    }),
  );
}

/** A ustar archive with one regular file (mode 0644, mtime 0), so the bytes are reproducible. */
function tarOneFile(name: string, data: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const put = (offset: number, length: number, value: string) => header.write(value, offset, length, 'ascii');
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0') + '\0';
  put(0, 100, name);
  put(100, 8, octal(0o644, 8));
  put(108, 8, octal(0, 8));
  put(116, 8, octal(0, 8));
  put(124, 12, octal(data.length, 12));
  put(136, 12, octal(0, 12));
  put(148, 8, '        '); // checksum is computed with this field as spaces
  put(156, 1, '0');
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  put(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, padding, Buffer.alloc(1024)]);
}
