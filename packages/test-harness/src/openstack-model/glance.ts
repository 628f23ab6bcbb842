// Glance: images by name and ID (the existing ones, uploaded ones and baked ones).
import type { ExistingCloud, ExistingImage } from "./cloud";
import { glance, IdSource, Inputs, str } from "./common";

export class Glance {
  readonly images = new Map<string, ExistingImage>();

  constructor(
    existing: ExistingCloud,
    private readonly ids: IdSource,
  ) {
    for (const i of existing.images) this.images.set(i.id, i);
  }

  findImage(args: { name?: string }): ExistingImage {
    const i = [...this.images.values()].find((x) => x.name === args.name);
    if (!i) throw glance(404, `No image found with name ${args.name}: your query returned no results.`);
    return i;
  }

  createImage(name: string, inputs: Inputs) {
    const id = this.ids.next("image", name);
    this.images.set(id, { id, name: str(inputs.name) ?? name });
    return { id, state: { ...inputs, status: "active" } };
  }
}
