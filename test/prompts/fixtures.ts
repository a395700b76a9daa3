import type { CharacterConcept, CharacterDetail, PostConcept, PostDetail, WorldDescription } from '../../src/schemas/llm';

export const world: WorldDescription = {
  name: 'Marea Alta',
  user_preferences: { language: 'Spanish', other_preferences: ['tono cálido', 'sin violencia gráfica'] },
  description_short: 'Un archipiélago donde las mareas deciden el calendario.',
  description: 'Islas unidas por puentes de cuerda.\n\nCada luna llena, el mar sube y las ciudades flotan.',
  theme: 'Vivir al ritmo del mar',
  technology_level: 'Vapor y vela',
  social_structure: 'Cofradías de pescadores y gremios de faroleros',
  culture: 'Música de caracolas, comida de algas',
  geography: 'Cuarenta islas, arrecifes, lagunas',
  visual_style: 'Acuarela luminosa, turquesas y ocres',
  history: 'La Gran Marea de hace cien años unió las islas.',
  common_activities: ['pescar', 'reparar redes', 'cantar en el muelle'],
  typical_stories: ['un farolero pierde su luz', 'una boda en barca, con tormenta'],
  additional_details: {
    climate: 'Templado y húmedo',
    resources: 'Perlas, sal, madera flotante',
    conflicts: 'Las cofradías contra los gremios',
    traditions: 'La Noche de las Linternas',
    technology: '',
    magic_system: 'No hay magia',
    time_period: 'Una era parecida al siglo XIX',
    language: 'Jerga marinera',
    custom_details: ['los gatos viajan gratis en los barcos'],
  },
};

export const concept: CharacterConcept = {
  concept: 'Lucía repara faros abandonados y sueña con encender el último faro del sur. Desconfía de los gremios.',
  concept_short: 'Reparadora de faros soñadora',
  role_in_world: 'farolera independiente',
  posts_count: 4,
  personality_traits: ['tenaz', 'irónica'],
  interests: ['mecánica', 'astronomía'],
};

export const character: CharacterDetail = {
  username: 'lucia.faros',
  display_name: 'Lucía Mareas',
  bio: 'Enciendo lo que otros apagan.',
  background_story: 'Hija de un farolero expulsado del gremio.',
  personality: 'Tenaz e irónica.',
  appearance: 'Mujer de treinta años, piel bronceada, trenza negra, chaqueta de lona con parches.',
  interests: ['mecánica', 'astronomía'],
  speaking_style: 'Frases cortas, humor seco.',
  common_topics: ['faros', 'tormentas', 'el gremio'],
  avatar_description: 'Retrato de medio cuerpo, sonrisa torcida, trenza negra sobre el hombro, faro detrás.',
  avatar_style: 'watercolor illustration',
  avatar_prompt: 'Watercolor bust portrait of a woman of thirty with tanned skin and a black braid over her shoulder, crooked smile, canvas jacket with patches, a lighthouse behind her at dusk.',
  relationships: [{ username: 'tomas_red', relationship_type: 'amigo', description: 'Pescador que le trae piezas.' }],
  secret: 'Robó la lente del faro mayor.',
  daily_routine: 'Sube al faro al amanecer, repara por la tarde.',
};

export const postConcept: PostConcept = {
  topic: 'La lente nueva',
  content_brief: 'Lucía muestra una lente misteriosa que "encontró".',
  emotional_tone: 'emocionada',
  post_type: 'personal',
  relevance_to_character: 'Su obsesión por encender el faro del sur.',
};

export const postDetail: PostDetail = {
  content: '¡Miren lo que apareció en mi taller! 🔦',
  image_prompt: 'A large antique lighthouse lens on a cluttered workbench, warm evening light.',
  hashtags: ['faros', 'MareaAlta'],
};
