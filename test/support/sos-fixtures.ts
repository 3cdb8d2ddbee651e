/** The Set-OutlookSignatures import's fixture folder (test/fixtures/sos) plus a DOCX built here. */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import sharp from 'sharp';

const FIXTURES = join(import.meta.dirname, '../fixtures/sos');
const W = 'http://schemas.openxmlformats.org';
/** A minimal DOCX (the OOXML parts mammoth reads): two paragraphs of placeholders, a photo and a logo image. */
export async function shortDocx(): Promise<Buffer> {
  const png = await sharp({ create: { width: 12, height: 6, channels: 3, background: { r: 10, g: 20, b: 30 } } })
    .png()
    .toBuffer();
  const picture = (id: number, rel: string, descr: string) =>
    `<w:p><w:r><w:drawing><wp:inline><wp:extent cx="685800" cy="685800"/><wp:docPr id="${id}" name="Bild ${id}" descr="${descr}"/><a:graphic><a:graphicData uri="${W}/drawingml/2006/picture"><pic:pic><pic:nvPicPr><pic:cNvPr id="${id}" name="Bild ${id}"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed="${rel}"/></pic:blipFill><pic:spPr/></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>`;
  const document = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="${W}/wordprocessingml/2006/main" xmlns:r="${W}/officeDocument/2006/relationships" xmlns:wp="${W}/drawingml/2006/wordprocessingDrawing" xmlns:a="${W}/drawingml/2006/main" xmlns:pic="${W}/drawingml/2006/picture"><w:body><w:p><w:r><w:rPr><w:b/></w:rPr><w:t>$CurrentUserDisplayName$</w:t></w:r></w:p><w:p><w:r><w:t xml:space="preserve">$UTitle$ – Grüße, $CurrentUserGenderPronouns$</w:t></w:r></w:p>${picture(1, 'rIdPhoto', '$CurrentUserManagerPhoto$')}${picture(2, 'rIdLogo', 'Logo')}</w:body></w:document>`;
  const rel = (id: string, type: string, target: string) =>
    `<Relationship Id="${id}" Type="${W}/officeDocument/2006/relationships/${type}" Target="${target}"/>`;
  const rels = (body: string) => `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${W}/package/2006/relationships">${body}</Relationships>`;
  const zipped = zipSync({
    '[Content_Types].xml': strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="${W}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
    ),
    '_rels/.rels': strToU8(rels(rel('rId1', 'officeDocument', 'word/document.xml'))),
    'word/_rels/document.xml.rels': strToU8(rels(rel('rIdPhoto', 'image', 'media/image1.png') + rel('rIdLogo', 'image', 'media/image2.png'))),
    'word/document.xml': strToU8(document),
    'word/media/image1.png': png,
    'word/media/image2.png': png,
  });
  return Buffer.from(zipped);
}

/** The fixture folder plus the generated DOCX, as the importer sees a folder. */
export async function fixtureFolder(): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(FIXTURES, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      files.set(relative(FIXTURES, join(entry.parentPath, entry.name)).replace(/\\/g, '/'), await readFile(join(entry.parentPath, entry.name)));
  }
  files.set('Short.docx', await shortDocx());
  return files;
}
